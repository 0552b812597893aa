// Simulated time: days since the epoch (UTC), the API's retention, and the datetime forms Wistia bodies use.

export const DAY_MS = 86_400_000;
/** Events are kept for two years by the API. */
export const RETENTION_DAYS = 730;

export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}
/** Stats datetimes: mostly with milliseconds ("…53.380Z"), sometimes without ("…53Z"): both occur in real bodies. */
export function statsTime(ms: number, withMs: boolean): string {
  const s = new Date(ms).toISOString();
  return withMs ? s : s.replace(/\.\d{3}Z$/, 'Z');
}
/** Media dates use the "+00:00" offset form. */
export function mediaTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
export function dayString(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
export function parseDay(s: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) throw new Error(`not a YYYY-MM-DD date: "${s}"`);
  const ms = Date.parse(`${s}T00:00:00Z`);
  if (Number.isNaN(ms) || dayString(ms / DAY_MS) !== s) throw new Error(`not a valid date: "${s}"`);
  return ms / DAY_MS;
}
