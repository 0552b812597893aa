/* global document, fetch */
// The dashboard page: fetches the server's JSON endpoints and draws every chart as hand-written SVG (no library,
// nothing loaded from the network). Each mark carries its data (data-label, data-value; a line its data-points and
// data-sum) so that what is drawn can be checked against the warehouse.

const SVG = 'http://www.w3.org/2000/svg';
const CHANNELS = ['facebook', 'youtube', 'website', 'other'];

function svgEl(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function htmlEl(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

async function getJson(path) {
  const res = await fetch(path);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${path}: HTTP ${res.status}`);
  return body;
}

const fmt = {
  int: (n) => (n === null || n === undefined ? '–' : Math.round(Number(n)).toLocaleString('en-US')),
  pct: (x) => (x === null || x === undefined ? '–' : `${(Number(x) * 100).toFixed(1)} %`),
  hours: (x) =>
    x === null || x === undefined
      ? '–'
      : Number(x).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
  day: (d) =>
    new Date(`${d}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }),
  month: (d) =>
    new Date(`${d}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' }),
  clock: (s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`,
  duration: (ms) => {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  },
};

const sum = (values) => values.reduce((a, v) => a + (v ?? 0), 0);

/** An axis from 0 with four or five round steps (whole steps for counts) covering v. */
function axis(v, whole) {
  const raw = v > 0 ? v / 4 : 0.25;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(
    whole ? 1 : 0,
    (whole ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]).map((m) => m * p).find((m) => m >= raw),
  );
  const ticks = [];
  for (let t = 0; t < v + step * 0.999 || ticks.length < 2; t += step) ticks.push(t);
  return { max: ticks[ticks.length - 1], ticks };
}

function message(container, cls, text) {
  container.replaceChildren(htmlEl('p', { class: cls }, text));
}

/**
 * A line chart: labels along x, one or more series ({name, cls, values, area}); null values leave a gap.
 * Hovering shows the values at the nearest label.
 */
function lineChart(
  container,
  { labels, series, yFormat, xFormat, xHover = xFormat, whole = false, width = 640, height = 240 },
) {
  const n = labels.length;
  if (n === 0) return message(container, 'empty', 'No data yet.');
  const m = { l: 58, r: 14, t: 22, b: 26 };
  const { max, ticks } = axis(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))), whole);
  const x = (i) => m.l + (n === 1 ? (width - m.l - m.r) / 2 : (i * (width - m.l - m.r)) / (n - 1));
  const y = (v) => height - m.b - (v / max) * (height - m.t - m.b);
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  for (const v of ticks)
    svg.append(
      svgEl('line', { class: 'gridline', x1: m.l, x2: width - m.r, y1: y(v), y2: y(v) }),
      svgEl('text', { class: 'tick', x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, yFormat(v)),
    );
  const step = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += step)
    svg.append(
      svgEl(
        'text',
        { class: 'tick', x: x(i), y: height - 8, 'text-anchor': i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle' },
        xFormat(labels[i]),
      ),
    );
  for (const s of series) {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    if (s.area && d)
      svg.append(svgEl('path', { class: `area ${s.cls}`, d: `${d}L${x(n - 1)},${y(0)}L${x(0)},${y(0)}Z` }));
    svg.append(
      svgEl('path', {
        class: `line mark ${s.cls}`,
        d: d || `M${m.l},${y(0)}`,
        'data-series': s.name,
        'data-points': s.values.filter((v) => v !== null).length,
        'data-sum': sum(s.values),
      }),
    );
  }
  const guide = svgEl('line', { class: 'guide', y1: m.t, y2: height - m.b, visibility: 'hidden' });
  const tip = svgEl('text', { class: 'tip', y: 12, visibility: 'hidden' });
  svg.append(guide, tip);
  svg.addEventListener('mousemove', (ev) => {
    const r = svg.getBoundingClientRect();
    const px = ((ev.clientX - r.left) * width) / r.width;
    const i = Math.max(0, Math.min(n - 1, Math.round(((px - m.l) * Math.max(1, n - 1)) / (width - m.l - m.r))));
    guide.setAttribute('x1', x(i));
    guide.setAttribute('x2', x(i));
    tip.textContent = `${xHover(labels[i])}: ${series.map((s) => `${s.name} ${yFormat(s.values[i])}`).join(', ')}`;
    tip.setAttribute('x', x(i) > width / 2 ? x(i) - 6 : x(i) + 6);
    tip.setAttribute('text-anchor', x(i) > width / 2 ? 'end' : 'start');
    guide.setAttribute('visibility', 'visible');
    tip.setAttribute('visibility', 'visible');
  });
  svg.addEventListener('mouseleave', () => {
    guide.setAttribute('visibility', 'hidden');
    tip.setAttribute('visibility', 'hidden');
  });
  container.replaceChildren(svg);
}

/** A horizontal bar chart of items ({label, value, note, cls}), in the order given. */
function barChart(container, items, { format, width = 640, labelWidth = 220 }) {
  if (items.length === 0) return message(container, 'empty', 'No data yet.');
  const row = 26;
  const valueWidth = 130;
  const height = items.length * row + 6;
  const max = Math.max(0, ...items.map((it) => it.value)) || 1;
  const maxChars = Math.floor(labelWidth / 7);
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  items.forEach((it, k) => {
    const top = 3 + k * row;
    const w = Math.max(1, (it.value / max) * (width - labelWidth - valueWidth));
    const label = it.label.length > maxChars ? `${it.label.slice(0, maxChars - 1)}…` : it.label;
    const g = svgEl('g');
    g.append(
      svgEl('title', {}, `${it.label}: ${format(it.value)}${it.note ? ` (${it.note})` : ''}`),
      svgEl('text', { class: 'label', x: labelWidth - 8, y: top + row / 2 + 4, 'text-anchor': 'end' }, label),
      svgEl('rect', {
        class: `bar mark ${it.cls ?? ''}`,
        x: labelWidth,
        y: top + 4,
        width: w.toFixed(1),
        height: row - 8,
        rx: 2,
        'data-label': it.label,
        'data-value': it.value,
      }),
      svgEl(
        'text',
        { class: 'value', x: labelWidth + w + 6, y: top + row / 2 + 4 },
        `${format(it.value)}${it.note ? ` · ${it.note}` : ''}`,
      ),
    );
    svg.append(g);
  });
  container.replaceChildren(svg);
}

/** Every UTC day from first to last, YYYY-MM-DD. */
function daysBetween(first, last) {
  const out = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

function renderKpis(k) {
  const format = {
    plays: fmt.int,
    loads: fmt.int,
    play_rate: fmt.pct,
    hours_watched: fmt.hours,
    sessions: fmt.int,
    mean_percent_viewed: fmt.pct,
    medias: fmt.int,
    visitors: fmt.int,
  };
  for (const [key, f] of Object.entries(format)) {
    const dd = document.querySelector(`[data-kpi="${key}"]`);
    dd.textContent = f(k[key]);
    dd.dataset.value = String(k[key] ?? '');
  }
  if (k.first_day)
    document.getElementById('period').textContent =
      `${k.first_day} to ${k.last_day} (${daysBetween(k.first_day, k.last_day).length} days)`;
}

function renderDaily(rows) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const labels = rows.length ? daysBetween(rows[0].day, rows[rows.length - 1].day) : [];
  const long = labels.length > 120;
  const xFormat = long ? fmt.month : fmt.day;
  const at = (key, empty) => labels.map((d) => (byDay.has(d) ? (byDay.get(d)[key] ?? empty) : empty));
  lineChart(document.getElementById('chart-daily'), {
    labels,
    xFormat,
    xHover: (d) => d,
    yFormat: fmt.int,
    whole: true,
    series: [
      { name: 'loads', cls: 'loads', values: at('loads', 0) },
      { name: 'plays', cls: 'plays', values: at('plays', 0) },
    ],
  });
  lineChart(document.getElementById('chart-play-rate'), {
    labels,
    xFormat,
    xHover: (d) => d,
    yFormat: fmt.pct,
    series: [{ name: 'play rate', cls: 'rate', values: at('play_rate', null) }],
  });
}

// Issue 17: the account's own daily plays and their 7-day moving average (fct_account_daily: every day listed).
function renderAccountTrend(rows) {
  lineChart(document.getElementById('chart-account-trend'), {
    labels: rows.map((r) => r.day),
    xFormat: rows.length > 120 ? fmt.month : fmt.day,
    xHover: (d) => d,
    yFormat: fmt.int,
    series: [
      { name: 'plays', cls: 'plays', values: rows.map((r) => r.plays) },
      { name: '7-day average', cls: 'trend', values: rows.map((r) => r.plays_7d_avg) },
    ],
  });
}

function renderTop(id, rows, by) {
  barChart(
    document.getElementById(id),
    rows.map((r) => ({
      label: r.name,
      value: by === 'plays' ? r.plays : r.hours_watched,
      note: by === 'plays' ? `${fmt.hours(r.hours_watched)} h` : `${fmt.int(r.plays)} plays`,
    })),
    { format: by === 'plays' ? fmt.int : (h) => `${fmt.hours(h)} h`, labelWidth: 250 },
  );
}

function renderChannels(rows) {
  const total = sum(rows.map((r) => r.sessions));
  const byName = new Map(rows.map((r) => [r.channel, r]));
  const names = [...CHANNELS, ...rows.map((r) => r.channel).filter((c) => !CHANNELS.includes(c))];
  barChart(
    document.getElementById('chart-channels'),
    names.map((c) => {
      const sessions = byName.get(c)?.sessions ?? 0;
      return { label: c, value: sessions, cls: `ch-${c}`, note: total ? fmt.pct(sessions / total) : undefined };
    }),
    { format: fmt.int, width: 440, labelWidth: 90 },
  );
}

const regionNames = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(['en'], { type: 'region' }) : null;
function countryName(code) {
  if (!regionNames || !/^[A-Z]{2}$/.test(code)) return code;
  try {
    return `${regionNames.of(code)} (${code})`;
  } catch {
    return code;
  }
}

function renderCountries(rows) {
  barChart(
    document.getElementById('chart-countries'),
    rows.map((r) => ({ label: countryName(r.country), value: r.viewers })),
    { format: fmt.int, width: 440, labelWidth: 160 },
  );
}

function renderDevices(rows) {
  barChart(
    document.getElementById('chart-devices'),
    rows.map((r) => ({ label: `${r.platform} · ${r.device}`, value: r.viewers, cls: `dev-${r.device}` })),
    { format: fmt.int, width: 440, labelWidth: 170 },
  );
}

/**
 * A table's body, one row per record: `attrs(r)` its row's data attributes, `cells(r)` its cells (numbers from the
 * third on, right-aligned); `empty` the line shown when there is no record.
 */
function fillTable(id, rows, { empty, attrs, cells }) {
  const body = document.querySelector(`#${id} tbody`);
  const columns = document.querySelectorAll(`#${id} thead th`).length;
  if (rows.length === 0) {
    const tr = htmlEl('tr');
    tr.append(htmlEl('td', { colspan: columns, class: 'empty' }, empty));
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = htmlEl('tr', attrs(r));
      cells(r).forEach((c, i) => {
        const td = htmlEl('td', i >= 2 ? { class: 'num' } : {});
        td.append(String(c));
        tr.append(td);
      });
      return tr;
    }),
  );
}

/** Lifetime leaders: each media's latest lifetime snapshot, most plays first (the saved query's order). */
function renderLifetime(rows) {
  fillTable('lifetime', rows, {
    empty: 'No lifetime snapshot in the warehouse.',
    attrs: (r) => ({ 'data-media': String(r.media_id) }),
    cells: (r) => [
      r.media_name ?? r.media_id,
      r.snapshot_date,
      fmt.int(Number(r.lifetime_plays)),
      fmt.pct(r.play_rate),
      fmt.hours(r.hours_watched),
      r.visitors === null ? '–' : fmt.int(Number(r.visitors)),
      r.cta_rate === null ? '–' : fmt.pct(r.cta_rate),
      r.plays_gained === null ? '–' : fmt.int(Number(r.plays_gained)),
    ],
  });
}

/** Campaigns by week: one row per week and project, newest week first (the saved query's order). */
function renderCampaigns(rows) {
  fillTable('campaigns', rows, {
    empty: 'No project activity in the warehouse.',
    attrs: (r) => ({ 'data-project': String(r.project_id ?? ''), 'data-week': r.week_start }),
    cells: (r) => [
      r.week_start,
      r.project_name,
      fmt.int(Number(r.plays)),
      fmt.int(Number(r.viewers)),
      fmt.int(Number(r.loads)),
      fmt.pct(r.play_rate),
      fmt.hours(r.hours_watched),
      fmt.int(Number(r.facebook_plays)),
      fmt.int(Number(r.youtube_plays)),
      fmt.int(Number(r.website_plays)),
      fmt.int(Number(r.other_plays)),
    ],
  });
}

function renderRuns(runs) {
  const body = document.querySelector('#runs tbody');
  if (runs.length === 0) {
    const tr = htmlEl('tr');
    tr.append(htmlEl('td', { colspan: 9, class: 'empty' }, 'No runs in the object store.'));
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(
    ...runs.map((r) => {
      const tr = htmlEl('tr', { 'data-execution': r.execution });
      const link = htmlEl('a', { href: r.graph, title: 'execution graph' }, r.execution);
      const cells = [
        link,
        r.day ?? '',
        htmlEl('span', { class: `status ${r.status === 'SUCCEEDED' ? 'ok' : 'failed'}` }, r.status),
        r.startDate.replace('T', ' ').slice(0, 19),
        fmt.duration(r.durationMs),
        fmt.int(r.requests),
        fmt.int(r.itemsSucceeded),
        fmt.int(r.itemsFailed),
        r.error ? `${r.error}${r.cause ? `: ${r.cause}` : ''}`.slice(0, 200) : '',
      ];
      cells.forEach((c, i) => {
        const td = htmlEl('td', i >= 4 && i <= 7 ? { class: 'num' } : {});
        td.append(c);
        tr.append(td);
      });
      return tr;
    }),
  );
}

/** A column chart of counts per label, each column stacked by series ({name, cls, values}). */
function stackedColumns(container, { labels, series, xFormat, xHover = xFormat, width = 640, height = 240 }) {
  const n = labels.length;
  if (n === 0) return message(container, 'empty', 'No runs yet.');
  const m = { l: 40, r: 14, t: 14, b: 26 };
  const totals = labels.map((_, i) => sum(series.map((s) => s.values[i])));
  const { max, ticks } = axis(Math.max(0, ...totals), true);
  const slot = (width - m.l - m.r) / n;
  const bar = Math.max(2, Math.min(40, slot * 0.7));
  const y = (v) => height - m.b - (v / max) * (height - m.t - m.b);
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  for (const v of ticks)
    svg.append(
      svgEl('line', { class: 'gridline', x1: m.l, x2: width - m.r, y1: y(v), y2: y(v) }),
      svgEl('text', { class: 'tick', x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt.int(v)),
    );
  const step = Math.max(1, Math.ceil(n / 8));
  labels.forEach((label, i) => {
    const cx = m.l + slot * (i + 0.5);
    if (i % step === 0)
      svg.append(svgEl('text', { class: 'tick', x: cx, y: height - 8, 'text-anchor': 'middle' }, xFormat(label)));
    let base = 0;
    for (const s of series) {
      const v = s.values[i] ?? 0;
      const rect = svgEl('rect', {
        class: `bar mark ${s.cls}`,
        x: (cx - bar / 2).toFixed(1),
        y: y(base + v).toFixed(1),
        width: bar.toFixed(1),
        height: (y(base) - y(base + v)).toFixed(1),
        'data-label': label,
        'data-series': s.name,
        'data-value': v,
      });
      rect.append(svgEl('title', {}, `${xHover(label)}: ${fmt.int(v)} ${s.name.toLowerCase()}`));
      svg.append(rect);
      base += v;
    }
  });
  container.replaceChildren(svg);
}

const NONE = '—';
const orNone = (f) => (v) => (v === null || v === undefined ? NONE : f(v));
const health = {
  count: orNone((n) => Math.round(Number(n)).toLocaleString('en-US')),
  share: orNone((x) => `${(Number(x) * 100).toFixed(2)} %`),
  seconds: orNone((s) => `${Number(s).toFixed(1)} s`),
  usd: orNone((v) => `$${Number(v).toFixed(6)}`),
};

function renderHealth(h) {
  if (h.prices)
    document.getElementById('health-prices').textContent =
      `cost: an estimate at ${h.prices.region} list prices checked ${h.prices.checked}`;
  stackedColumns(document.getElementById('chart-run-days'), {
    labels: h.days.map((d) => d.day),
    xFormat: fmt.day,
    xHover: (d) => d,
    series: h.statuses.map((s) => ({
      name: s,
      cls: `st-${s.toLowerCase()}`,
      values: h.days.map((d) => d.counts[s] ?? 0),
    })),
  });
  const oldestFirst = [...h.runs].reverse();
  lineChart(document.getElementById('chart-requests'), {
    labels: oldestFirst.map((r) => r.execution),
    // daily-YYYY-MM-DD-xxxx: the day it ingested
    xFormat: (e) => {
      const d = /\d{4}-\d{2}-\d{2}/.exec(e);
      return d ? fmt.day(d[0]) : e.slice(0, 10);
    },
    xHover: (e) => e,
    yFormat: fmt.int,
    whole: true,
    series: [
      { name: 'requests', cls: 'plays', values: oldestFirst.map((r) => r.requests) },
      { name: '429s', cls: 'rewatch', values: oldestFirst.map((r) => r.rateLimited) },
    ],
  });
  const body = document.querySelector('#health tbody');
  if (h.runs.length === 0) {
    const tr = htmlEl('tr');
    tr.append(htmlEl('td', { colspan: 9, class: 'empty' }, 'No runs in the object store.'));
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(
    ...h.runs.map((r) => {
      const tr = htmlEl('tr', { 'data-execution': r.execution });
      const statusCls = r.status === 'SUCCEEDED' ? 'ok' : 'failed';
      tr.append(htmlEl('td', {}, r.execution), htmlEl('td', {}, r.startDate.replace('T', ' ').slice(0, 19)));
      const status = htmlEl('td', { 'data-field': 'status' });
      status.append(htmlEl('span', { class: `status ${statusCls}` }, r.status));
      tr.append(status);
      const quarantine =
        r.recordsQuarantined === null ? undefined : `${fmt.int(r.recordsQuarantined)} of ${fmt.int(r.recordsRead)}`;
      for (const [field, f, title] of [
        ['requests', health.count],
        ['rateLimited', health.count],
        ['retries', health.count],
        ['quarantineShare', health.share, quarantine],
        ['transformSeconds', health.seconds],
        ['costUsd', health.usd],
      ]) {
        const v = r[field];
        tr.append(
          htmlEl('td', { class: 'num', 'data-field': field, 'data-value': v ?? '', ...(title ? { title } : {}) }, f(v)),
        );
      }
      return tr;
    }),
  );
}

async function showCurve(mediaId) {
  const chart = document.getElementById('chart-curve');
  const info = document.getElementById('curve-info');
  const c = await getJson(`/api/curve?media=${encodeURIComponent(mediaId)}`);
  const cells = c.engagement_data.length;
  const perCell = c.duration_seconds && cells > 1 ? c.duration_seconds / cells : 1;
  lineChart(chart, {
    labels: c.engagement_data.map((_, i) => i * perCell),
    xFormat: fmt.clock,
    yFormat: fmt.int,
    whole: true,
    width: 1240,
    height: 300,
    series: [
      { name: 'viewers', cls: 'viewers', values: c.engagement_data, area: true },
      { name: 'rewatches', cls: 'rewatch', values: c.rewatch_data },
    ],
  });
  chart.dataset.media = c.media_id;
  info.textContent = [
    `engagement ${fmt.pct(c.engagement)}`,
    c.duration_seconds ? `${fmt.clock(c.duration_seconds)} long` : null,
    `${cells} cell${cells === 1 ? '' : 's'}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

async function setupCurve(medias) {
  const picker = document.getElementById('media-picker');
  picker.replaceChildren(
    ...medias.map((m) => htmlEl('option', { value: m.media_id }, `${m.name} (${fmt.int(m.plays)} plays)`)),
  );
  if (medias.length === 0) return message(document.getElementById('chart-curve'), 'empty', 'No engagement curves yet.');
  picker.addEventListener('change', () => {
    showCurve(picker.value).catch((e) => message(document.getElementById('chart-curve'), 'error', e.message));
  });
  await showCurve(medias[0].media_id);
}

/** Loads one part of the page; a failure shows its message where the part would be. */
async function part(path, render, where) {
  try {
    await render(await getJson(path));
  } catch (e) {
    for (const id of where) message(document.getElementById(id), 'error', e.message);
  }
}

async function main() {
  await Promise.all([
    part('/api/source', (s) => (document.getElementById('source').textContent = `Warehouse: ${s.warehouse}`), [
      'source',
    ]),
    part('/api/kpis', renderKpis, ['kpis']),
    part('/api/daily', renderDaily, ['chart-daily', 'chart-play-rate']),
    part('/api/account-trend', renderAccountTrend, ['chart-account-trend']),
    part('/api/top-media?by=plays', (r) => renderTop('chart-top-plays', r, 'plays'), ['chart-top-plays']),
    part('/api/top-media?by=hours', (r) => renderTop('chart-top-hours', r, 'hours'), ['chart-top-hours']),
    part('/api/medias', setupCurve, ['chart-curve']),
    part('/api/channels', renderChannels, ['chart-channels']),
    part('/api/campaigns', renderCampaigns, ['campaigns']),
    part('/api/lifetime', renderLifetime, ['lifetime']),
    part('/api/countries', renderCountries, ['chart-countries']),
    part('/api/devices', renderDevices, ['chart-devices']),
    part('/api/runs', renderRuns, ['runs']),
    part('/api/health', renderHealth, ['chart-run-days', 'chart-requests']),
  ]);
  document.body.dataset.ready = 'true';
}

main();
