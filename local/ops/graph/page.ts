// The execution graph's page: one self-contained HTML document (inline SVG and CSS, no script, nothing from the
// network: it opens from a file) with the execution's summary, the drawing (svg.ts), the Map runs and their failed
// items (input, error, cause), every state's outcome as a table and the transform's load.
import type { Definition } from '../../runner/asl.ts';
import type { TransformReport } from '../../transform.ts';
import type { ExecutionHistory } from '../history.ts';
import { analyseExecution, type ExecutionView, type MapView } from './analysis.ts';
import { drawGraph, esc, formatMs, OUTCOME_TEXT } from './svg.ts';

const CSS = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; }
body { margin: 0; padding: 20px 24px 40px; background: #f8fafc; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 28px 0 8px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 16em; overflow: auto; }
.failed-items pre { min-width: 260px; max-width: 560px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 13px; color: #fff; vertical-align: middle; }
.badge.SUCCEEDED { background: #16a34a; } .badge.FAILED { background: #dc2626; } .badge.RUNNING { background: #2563eb; }
.badge.ABORTED, .badge.TIMED_OUT { background: #6b7280; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; font-size: 14px; }
dl.summary dt { color: #6b7280; } dl.summary dd { margin: 0; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 13px; margin: 12px 0; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 5px; vertical-align: -1px; border: 1.5px solid var(--s); background: var(--f); }
.graph { overflow: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px; }
svg text { font-size: 12px; fill: #374151; }
svg text.name { font-weight: 600; font-size: 12.5px; fill: #111827; }
svg text.kind { fill: #6b7280; font-size: 11px; }
svg text.error { fill: #b91c1c; }
svg text.items { fill: #1f2937; }
svg text.edge-label { font-size: 10.5px; fill: #4b5563; }
.state > rect { stroke-width: 1.8; }
.o-succeeded > rect { fill: #dcfce7; stroke: #16a34a; } .o-failed > rect { fill: #fee2e2; stroke: #dc2626; }
.o-caught > rect { fill: #ffedd5; stroke: #ea580c; } .o-running > rect { fill: #dbeafe; stroke: #2563eb; }
.o-not-entered > rect { fill: #f9fafb; stroke: #9ca3af; stroke-dasharray: 5 3; }
.o-not-entered > text { fill: #9ca3af; }
.t-map > rect { fill-opacity: 0.55; }
.edge { fill: none; stroke: #9ca3af; stroke-width: 1.4; }
.edge.taken { stroke: #374151; stroke-width: 2.2; }
.edge.catch { stroke: #ea580c; stroke-dasharray: 6 4; }
.edge.catch.taken { stroke: #c2410c; stroke-width: 2.2; }
table { border-collapse: collapse; font-size: 13px; background: #fff; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.o-succeeded { color: #15803d; } td.o-failed { color: #b91c1c; font-weight: 600; } td.o-caught { color: #c2410c; font-weight: 600; }
td.o-not-entered { color: #9ca3af; } td.o-running { color: #1d4ed8; }
.note { color: #6b7280; font-size: 13px; }
`;

/** The legend: text, fill, stroke (as classes: the page has no inline style attributes, for a strict CSP). */
const LEGEND: [string, string, string][] = [
  ['succeeded', '#dcfce7', '#16a34a'],
  ['failed', '#fee2e2', '#dc2626'],
  ['caught (error handled by a Catch)', '#ffedd5', '#ea580c'],
  ['not entered', '#f9fafb', '#9ca3af'],
  ['running', '#dbeafe', '#2563eb'],
  ['dashed edge: Catch', '#ffffff', '#ea580c'],
  ['dark edge: taken', '#374151', '#374151'],
];
const LEGEND_CSS = LEGEND.map(([, f, s], i) => `.legend .l${i}::before { --f: ${f}; --s: ${s}; }`).join('\n');

/** A Lambda error's cause is its JSON payload: show its type and message. */
function readableCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const c = JSON.parse(cause) as { errorType?: string; errorMessage?: string };
    if (c && typeof c.errorMessage === 'string') return `${c.errorType ? `${c.errorType}: ` : ''}${c.errorMessage}`;
  } catch {
    // not JSON: as it is
  }
  return cause;
}

function json(v: unknown, max = 4000): string {
  const s = JSON.stringify(v, null, 2) ?? 'undefined';
  return s.length > max ? `${s.slice(0, max)}\n… (${s.length - max} more characters)` : s;
}

const MAX_LISTED = 200;

function failedItemsSection(view: ExecutionView): string {
  const maps = view.states.filter((s) => s.map);
  if (!maps.length) return '';
  const out: string[] = ['<h2>Map runs</h2>'];
  out.push(
    '<table class="maps"><tr><th>state</th><th>label</th><th>status</th><th>items</th><th>child executions</th><th>succeeded</th><th>failed</th><th>aborted</th><th>pending</th><th>max concurrency</th><th>tolerated failure %</th></tr>',
  );
  for (const s of maps) {
    const m = s.map as MapView;
    out.push(
      `<tr><td>${esc(s.name)}</td><td>${esc(m.label)}</td><td>${esc(m.status)}</td><td class="num">${m.items}</td><td class="num">${m.children}</td><td class="num">${m.succeeded}</td><td class="num">${m.failed}</td><td class="num">${m.aborted}</td><td class="num">${m.pending}</td><td class="num">${m.maxConcurrency ?? ''}</td><td class="num">${m.toleratedFailurePercentage ?? ''}</td></tr>`,
    );
  }
  out.push('</table>');
  for (const s of maps) {
    const m = s.map as MapView;
    if (!m.failedItems.length && !m.abortedItems.length) continue;
    out.push(`<h2 id="failed-${esc(m.label)}">Failed items of “${esc(s.name)}” (${m.label})</h2>`);
    if (m.failedItems.length) {
      out.push(
        '<table class="failed-items"><tr><th>#</th><th>item</th><th>failed at</th><th>retries</th><th>error</th><th>cause</th><th>input</th></tr>',
      );
      for (const f of m.failedItems.slice(0, MAX_LISTED))
        out.push(
          `<tr data-item="${esc(f.name)}"><td class="num">${f.index >= 0 ? f.index : '—'}</td><td>${esc(f.name)}</td><td>${esc(f.failedAt ?? '')}</td><td class="num">${f.retries}</td><td>${esc(f.error ?? '')}</td><td><pre>${esc(readableCause(f.cause))}</pre></td><td><pre>${esc(json(f.input))}</pre></td></tr>`,
        );
      out.push('</table>');
      if (m.failedItems.length > MAX_LISTED)
        out.push(
          `<p class="note">… and ${m.failedItems.length - MAX_LISTED} more (see the map's FAILED manifest).</p>`,
        );
    }
    if (m.abortedItems.length)
      out.push(
        `<p class="note">${m.abortedItems.length} item(s) aborted when the map run stopped: ${m.abortedItems
          .slice(0, 50)
          .map((f) => esc(f.name))
          .join(', ')}${m.abortedItems.length > 50 ? ', …' : ''}</p>`,
      );
  }
  return out.join('\n');
}

function statesTable(view: ExecutionView): string {
  const rows = view.states.map(
    (s) =>
      `<tr data-state="${esc(s.name)}" data-outcome="${s.outcome}"><td>${s.parent ? `<span class="note">${esc(s.parent)} ›</span> ` : ''}${esc(s.name)}</td><td>${esc(s.type)}</td><td class="o-${s.outcome}">${OUTCOME_TEXT[s.outcome]}</td><td class="num">${s.parent ? '' : s.visits}</td><td class="num">${formatMs(s.durationMs)}</td><td class="num">${s.retries}</td><td>${s.map ? `${s.map.succeeded} / ${s.map.failed} / ${s.map.pending}` : s.itemsFailedHere ? `${s.itemsFailedHere} failed here` : ''}</td><td>${esc(s.error ?? '')}${s.cause ? `<pre>${esc(readableCause(s.cause))}</pre>` : ''}</td></tr>`,
  );
  return [
    '<h2>States</h2>',
    '<table class="states"><tr><th>state</th><th>type</th><th>outcome</th><th>visits</th><th>duration</th><th>retries</th><th>items ✓ / ✗ / pending</th><th>error</th></tr>',
    ...rows,
    '</table>',
    '<p class="note">Durations of the states inside a Map are per item and not kept by the local history; their retries are summed over the items.</p>',
  ].join('\n');
}

function loadSection(t: TransformReport | undefined): string {
  if (!t) return '';
  const out = [`<h2>Transform and load: ${esc(t.status)}</h2>`];
  if (t.status !== 'SUCCEEDED')
    out.push(
      `<p><b>${esc(t.error ?? '')}</b> ${esc(t.message ?? '')}</p>`,
      ...(t.failures ?? []).map((f) => `<p>${esc(f.table)}: ${esc(f.rule)}: ${esc(f.detail)}</p>`),
    );
  if (t.loaded) {
    out.push(
      '<table class="loaded"><tr><th>table</th><th>staged</th><th>inserted</th><th>updated</th><th>unchanged</th></tr>',
    );
    for (const [k, l] of Object.entries(t.loaded))
      out.push(
        `<tr><td>${esc(k)}</td><td class="num">${l.staged}</td><td class="num">${l.inserted}</td><td class="num">${l.updated}</td><td class="num">${l.unchanged}</td></tr>`,
      );
    out.push('</table>');
  }
  if (t.quarantined !== undefined) out.push(`<p class="note">${t.quarantined} record(s) quarantined.</p>`);
  return out.join('\n');
}

export interface RenderOptions {
  readonly transform?: TransformReport;
  /** Where the definition came from, for the footer. */
  readonly definitionSource?: string;
}

/** The page for one execution, from the definition and the execution's history (pure: no I/O). */
export async function renderGraphHtml(
  def: Definition,
  history: ExecutionHistory,
  o: RenderOptions = {},
): Promise<string> {
  const view = analyseExecution(def, history);
  const drawn = await drawGraph(def, view);
  const items = view.states.filter((s) => s.map);
  const sum = (k: 'succeeded' | 'failed' | 'pending' | 'aborted') => items.reduce((a, s) => a + (s.map?.[k] ?? 0), 0);
  const loaded = o.transform?.loaded ? Object.values(o.transform.loaded) : undefined;
  const summary: [string, string][] = [
    ['status', `<span class="badge ${esc(view.status)}">${esc(view.status)}</span>`],
    ['started', esc(view.startDate ?? '—')],
    ['stopped', esc(view.stopDate ?? '—')],
    ['duration', esc(formatMs(view.durationMs))],
    [
      'map items',
      `${sum('succeeded')} succeeded, ${sum('failed')} failed, ${sum('aborted')} aborted, ${sum('pending')} pending`,
    ],
  ];
  if (view.requests !== undefined) summary.push(['Wistia requests', String(view.requests)]);
  if (loaded)
    summary.push([
      'rows loaded',
      `${loaded.reduce((a, l) => a + l.inserted, 0)} inserted, ${loaded.reduce((a, l) => a + l.updated, 0)} updated`,
    ]);
  if (view.error) summary.push(['error', `<b>${esc(view.error)}</b>`]);
  if (view.cause) summary.push(['cause', `<pre>${esc(readableCause(view.cause))}</pre>`]);
  const w = Math.ceil(drawn.width);
  const h = Math.ceil(drawn.height);
  const marker = (id: string, color: string) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(view.name)}: ${esc(view.status)} · wistia-pipeline</title>
<style>${CSS}${LEGEND_CSS}</style>
</head>
<body>
<header>
<h1>Execution <code>${esc(view.name)}</code> <span class="badge ${esc(view.status)}">${esc(view.status)}</span></h1>
<dl class="summary">${summary.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
</header>
<div class="legend">${LEGEND.map(([t], i) => `<span class="l${i}">${t}</span>`).join('')}</div>
${view.unknownStates.length ? `<p class="note">The history names states the definition no longer has: ${view.unknownStates.map(esc).join(', ')}.</p>` : ''}
${history.truncated ? `<p class="note">The history's last line (line ${history.truncated.line}, ${history.truncated.bytes} bytes) was cut off as its run stopped: it is left out.</p>` : ''}
<div class="graph">
<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="state machine of execution ${esc(view.name)}">
<defs>${marker('arrow', '#9ca3af')}${marker('arrow-taken', '#374151')}${marker('arrow-catch', '#ea580c')}</defs>
${drawn.svg}
</svg>
</div>
${failedItemsSection(view)}
${statesTable(view)}
${loadSection(o.transform)}
<p class="note">Definition: ${esc(o.definitionSource ?? 'statemachine/ingest.asl.json')}. Drawn by wistia-pipeline graph.</p>
</body>
</html>
`;
}
