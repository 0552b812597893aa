// The bench's number formats, shared by the targets' wording (targets.ts) and the tables (render.ts).

export const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const limitName = (n: number) => (n > 0 ? `${int(n)}/min` : 'no limit');
