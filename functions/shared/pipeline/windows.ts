// Event windows: the items of the events map. Incremental runs take one day per item, from the day before
// the events watermark to today (late events land in the overlap; dedup on event_key happens downstream).
// A backfill (the first run) covers what the API keeps (two years) or from a configured start date, in wider
// windows so that empty days cost nothing.

export interface Window {
  readonly start: string;
  readonly end: string;
}

const DAY = 86_400_000;
const ms = (d: string) => Date.parse(`${d}T00:00:00Z`);
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
export const addDays = (d: string, n: number) => day(ms(d) + n * DAY);
/** The API keeps events for two years. */
export const RETENTION_DAYS = 730;

export function incrementalWindows(throughDay: string, today: string): Window[] {
  const out: Window[] = [];
  for (let d = addDays(throughDay, -1); d <= today; d = addDays(d, 1)) out.push({ start: d, end: d });
  return out;
}

export function backfillWindows(today: string, windowDays: number, startDate?: string): Window[] {
  const earliest = addDays(today, -(RETENTION_DAYS - 1));
  const start = startDate && startDate > earliest ? startDate : earliest;
  // Windows end on today and step back by windowDays; the oldest may be shorter.
  const out: Window[] = [];
  for (let end = today; end >= start; end = addDays(end, -windowDays)) {
    const s = addDays(end, -(windowDays - 1));
    out.unshift({ start: s < start ? start : s, end });
  }
  return out;
}
