// The state machine drawn as SVG: each state a box coloured by its outcome in the execution, with its kind,
// duration, retries, error and (Map states) items, the Map states holding their ItemProcessor's states; the
// transitions as edges, the taken ones dark, Catch edges dashed, Choice conditions as labels. Positions from
// layout.ts (elkjs); what happened from analysis.ts.
import type { Definition, State } from '../../runner/asl.ts';
import type { ExecutionView, Outcome, StateView } from './analysis.ts';
import { kindOf, processorOf, type EdgeDef } from './definition.ts';
import { layoutDefinition, type PlacedGraph, type Pt } from './layout.ts';

const NODE_W = 252;
const LINE = 16;
const PAD = 10;
/** An edge label's font (10.5px): about this wide per character. */
const LABEL_CHAR_W = 6;
const LABEL_H = 13;

export function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function wrap(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/)) {
    if (cur && (cur + ' ' + word).length > max) {
      out.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  // A word longer than a line breaks after a dot (States.ExceedToleratedFailureThreshold), else anywhere.
  return out.flatMap((l) => {
    if (l.length <= max) return [l];
    const pieces: string[] = [];
    let rest = l;
    while (rest.length > max) {
      const dot = rest.lastIndexOf('.', max - 1);
      const cut = dot > max / 3 ? dot + 1 : max;
      pieces.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    return [...pieces, rest];
  });
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const OUTCOME_TEXT: Record<Outcome, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  caught: 'caught',
  'not-entered': 'not entered',
  running: 'running',
};

interface Lines {
  text: string;
  cls: string;
}

function nodeLines(name: string, s: State, v: StateView | undefined): Lines[] {
  const lines: Lines[] = wrap(name, 34).map((t) => ({ text: t, cls: 'name' }));
  lines.push({ text: kindOf(s), cls: 'kind' });
  if (!v) return lines;
  const parts = [OUTCOME_TEXT[v.outcome]];
  if (v.outcome !== 'not-entered' && v.durationMs !== null) parts.push(formatMs(v.durationMs));
  if (v.visits > 1) parts.push(`${v.visits} visits`);
  if (v.retries) parts.push(`${v.retries} ${v.retries === 1 ? 'retry' : 'retries'}`);
  else if (v.outcome !== 'not-entered') parts.push('no retries');
  lines.push({ text: parts.join(' · '), cls: 'outcome' });
  if (v.itemsFailedHere) lines.push({ text: `failed in ${v.itemsFailedHere} item(s)`, cls: 'error' });
  if (v.map) {
    const m = v.map;
    lines.push({
      text: `items ${m.items}${m.children !== m.items ? ` in ${m.children} batches` : ''}: ✓ ${m.succeeded} succeeded · ✗ ${m.failed} failed · ${m.pending} pending${m.aborted ? ` · ${m.aborted} aborted` : ''}`,
      cls: 'items',
    });
  }
  if (v.error && (v.outcome === 'failed' || v.outcome === 'caught'))
    lines.push(...wrap(v.error, 36).map((t) => ({ text: t, cls: 'error' })));
  return lines.flatMap((l) => (l.cls === 'items' ? wrap(l.text, 38).map((t) => ({ text: t, cls: l.cls })) : [l]));
}

export interface Drawn {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
}

const key = (parent: string | null, name: string) => `${parent ?? ''}\u0000${name}`;

/** A Choice edge's label as drawn: its condition with paths cut to their last step (`$.a.b.mode` → `mode`). */
function shortLabel(e: EdgeDef): string | undefined {
  if (e.kind !== 'choice' && e.kind !== 'default') return undefined;
  return (e.label ?? '').replace(/\$(?:\.[A-Za-z0-9_]+)*\.([A-Za-z0-9_]+)/g, '$1');
}

const f = (n: number) => n.toFixed(1);

/** An orthogonal route with its corners rounded. */
function edgePath(pts: readonly Pt[]): string {
  const r = 6;
  let d = `M${f((pts[0] as Pt).x)},${f((pts[0] as Pt).y)}`;
  for (let i = 1; i < pts.length; i++) {
    const b = pts[i] as Pt;
    const next = pts[i + 1];
    if (!next) {
      d += ` L${f(b.x)},${f(b.y)}`;
      break;
    }
    const a = pts[i - 1] as Pt;
    const into = Math.min(r, Math.hypot(b.x - a.x, b.y - a.y) / 2);
    const out = Math.min(r, Math.hypot(next.x - b.x, next.y - b.y) / 2);
    const towards = (p: Pt, q: Pt, k: number) => {
      const len = Math.hypot(q.x - p.x, q.y - p.y) || 1;
      return { x: p.x + ((q.x - p.x) * k) / len, y: p.y + ((q.y - p.y) * k) / len };
    };
    const p1 = towards(b, a, into);
    const p2 = towards(b, next, out);
    d += ` L${f(p1.x)},${f(p1.y)} Q${f(b.x)},${f(b.y)} ${f(p2.x)},${f(p2.y)}`;
  }
  return d;
}

function drawEdges(g: PlacedGraph, view: ExecutionView, parent: string | null): string[] {
  const parts: string[] = [];
  for (const r of g.edges) {
    const e = r.edge;
    if (r.points.length < 2) continue;
    const taken = parent === null && view.transitions.has(`${e.from}\u0000${e.to}`);
    const cls = `edge ${e.kind}${taken ? ' taken' : ''}`;
    const marker = e.kind === 'catch' ? 'arrow-catch' : taken ? 'arrow-taken' : 'arrow';
    const title = `${e.from} → ${e.to}${e.kind === 'catch' ? ` (catch ${e.label ?? ''})` : e.label ? ` (${e.label})` : ''}`;
    parts.push(
      `<path class="${cls}" d="${edgePath(r.points)}" marker-end="url(#${marker})" data-from="${esc(e.from)}" data-to="${esc(e.to)}" data-kind="${e.kind}"><title>${esc(title)}</title></path>`,
    );
    const short = shortLabel(e);
    if (short && r.label)
      parts.push(`<text class="edge-label" x="${f(r.label.x)}" y="${f(r.label.y + LABEL_H - 3)}">${esc(short)}</text>`);
  }
  return parts;
}

function drawNodes(
  g: PlacedGraph,
  def: Definition,
  view: ExecutionView,
  parent: string | null,
  content: Map<string, Lines[]>,
): string[] {
  const byName = new Map(view.states.filter((s) => s.parent === parent).map((s) => [s.name, s]));
  return g.nodes.map((p) => {
    const s = def.States[p.name] as State;
    const v = byName.get(p.name);
    const outcome = v?.outcome ?? 'not-entered';
    const lines = content.get(key(parent, p.name)) ?? [];
    const title = [
      p.name,
      kindOf(s),
      OUTCOME_TEXT[outcome],
      v?.durationMs !== null && v?.durationMs !== undefined ? `duration ${formatMs(v.durationMs)}` : '',
      `retries ${v?.retries ?? 0}`,
      v?.error ? `${v.error}: ${v.cause ?? ''}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    const attrs = [
      `class="state o-${outcome} t-${s.Type.toLowerCase()}"`,
      `data-state="${esc(p.name)}"`,
      `data-outcome="${outcome}"`,
      `data-retries="${v?.retries ?? 0}"`,
      parent ? `data-parent="${esc(parent)}"` : '',
      v?.map
        ? `data-items="${v.map.items}" data-succeeded="${v.map.succeeded}" data-failed="${v.map.failed}" data-pending="${v.map.pending}"`
        : '',
    ]
      .filter(Boolean)
      .join(' ');
    const text = lines
      .map((l, i) => `<text class="${l.cls}" x="${PAD}" y="${PAD + 12 + i * LINE}">${esc(l.text)}</text>`)
      .join('');
    const proc = processorOf(s);
    const inner =
      p.inner && proc
        ? `<g class="processor">${[...drawEdges(p.inner, view, p.name), ...drawNodes(p.inner, proc, view, p.name, content)].join('')}</g>`
        : '';
    return `<g ${attrs} transform="translate(${f(p.x)},${f(p.y)})"><title>${esc(title)}</title><rect width="${p.width}" height="${p.height}" rx="8"/>${text}${inner}</g>`;
  });
}

/** The definition drawn with one execution's outcomes: the SVG's content (no <svg> element) and its size. */
export async function drawGraph(def: Definition, view: ExecutionView): Promise<Drawn> {
  const content = new Map<string, Lines[]>();
  const lay = await layoutDefinition(def, {
    node: (name, s, parent) => {
      const v = view.states.find((x) => x.name === name && x.parent === parent);
      const lines = nodeLines(name, s, v);
      content.set(key(parent, name), lines);
      // A Map's box is its text, its ItemProcessor's states below (the layout adds them).
      return { width: NODE_W, height: PAD * 2 + lines.length * LINE - (processorOf(s) ? PAD / 2 : 0) };
    },
    label: (e) => {
      const short = shortLabel(e);
      return short ? { text: short, width: short.length * LABEL_CHAR_W + 4, height: LABEL_H } : undefined;
    },
  });
  const svg = [...drawEdges(lay, view, null), ...drawNodes(lay, def, view, null, content)].join('\n');
  return { svg, width: lay.width, height: lay.height };
}
