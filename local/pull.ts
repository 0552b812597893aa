// A whole-account pull through the Wistia client: every media, every event page, stats and engagement per
// media, every visitor, the account totals. Written as JSON Lines under the data dir. This is what the demo
// does until the orchestrated pipeline (state machine + bronze) takes over.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Json, WistiaClient } from '#shared/wistia/client.ts';

export interface PullOptions {
  readonly client: WistiaClient;
  readonly outDir: string;
  /** Requests in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Events from this day on (YYYY-MM-DD); default: the API's two-year retention before `today`. */
  readonly since?: string;
  readonly today: string;
  /** Event windows in days (listed in parallel). Default 30. */
  readonly windowDays?: number;
  readonly onProgress?: (what: string, done: number, total?: number) => void;
}

export interface PullSummary {
  medias: number;
  events: number;
  distinctEvents: number;
  visitors: number;
  mediaStats: number;
  engagements: number;
  eventPages: number;
  requests: number;
  retries: number;
  rateLimited: number;
  byStatus: Record<string, number>;
  wallMs: number;
  outDir: string;
}

class JsonLines {
  private readonly s: WriteStream;
  count = 0;
  constructor(path: string) {
    this.s = createWriteStream(path);
  }
  async write(o: unknown): Promise<void> {
    this.count++;
    if (!this.s.write(`${JSON.stringify(o)}\n`)) await once(this.s, 'drain');
  }
  async close(): Promise<void> {
    if (this.s.writableFinished) return;
    this.s.end();
    await once(this.s, 'finish');
  }
}

/** Runs `fn` over `items` with at most `limit` running at once; rejects on the first failure. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function pullAccount(o: PullOptions): Promise<PullSummary> {
  const t0 = Date.now();
  mkdirSync(o.outDir, { recursive: true });
  const out = {
    medias: new JsonLines(join(o.outDir, 'medias.jsonl')),
    events: new JsonLines(join(o.outDir, 'events.jsonl')),
    visitors: new JsonLines(join(o.outDir, 'visitors.jsonl')),
    stats: new JsonLines(join(o.outDir, 'media_stats.jsonl')),
    engagement: new JsonLines(join(o.outDir, 'media_engagement.jsonl')),
    account: new JsonLines(join(o.outDir, 'account.jsonl')),
  };
  const progress = o.onProgress ?? (() => undefined);
  try {
    return await pullInto(o, out, progress, t0);
  } finally {
    await Promise.all(Object.values(out).map((s) => s.close()));
  }
}

async function pullInto(
  o: PullOptions,
  out: Record<'medias' | 'events' | 'visitors' | 'stats' | 'engagement' | 'account', JsonLines>,
  progress: NonNullable<PullOptions['onProgress']>,
  t0: number,
): Promise<PullSummary> {
  const c = o.client;
  const conc = o.concurrency ?? 8;

  // 1. medias
  const medias: Json[] = [];
  for await (const page of c.listMediasPages({ sort_by: 'created', sort_direction: 1 })) {
    for (const m of page.body) {
      medias.push(m);
      await out.medias.write(m);
    }
    progress('medias', medias.length);
  }

  // 2. events, in windows listed in parallel (past windows are stable lists)
  const todayMs = Date.parse(`${o.today}T00:00:00Z`);
  const sinceMs = o.since ? Date.parse(`${o.since}T00:00:00Z`) : todayMs - 730 * DAY;
  const w = (o.windowDays ?? 30) * DAY;
  const windows: { start: string; end: string }[] = [];
  for (let s = sinceMs; s <= todayMs; s += w) windows.push({ start: day(s), end: day(Math.min(s + w - DAY, todayMs)) });
  const eventKeys = new Set<string>();
  let eventPages = 0;
  let windowsDone = 0;
  await mapLimit(windows, conc, async (win) => {
    for await (const page of c.listEventsPages({ start_date: win.start, end_date: win.end })) {
      eventPages++;
      for (const e of page.body) {
        eventKeys.add(String(e.event_key));
        await out.events.write(e);
      }
    }
    progress('event windows', ++windowsDone, windows.length);
  });

  // 3. stats + engagement per media
  let statsDone = 0;
  await mapLimit(medias, conc, async (m) => {
    const id = String(m.hashed_id);
    const [stats, eng] = await Promise.all([c.getMediaStats(id), c.getMediaEngagement(id)]);
    await out.stats.write({ hashed_id: id, ...stats.body });
    await out.engagement.write({ hashed_id: id, ...eng.body });
    progress('media stats', ++statsDone, medias.length);
  });

  // 4. visitors: one full scan
  for await (const page of c.listVisitorsPages()) {
    for (const v of page.body) await out.visitors.write(v);
    progress('visitors', out.visitors.count);
  }

  // 5. account totals
  await out.account.write((await c.getAccountStats()).body);

  return {
    medias: out.medias.count,
    events: out.events.count,
    distinctEvents: eventKeys.size,
    visitors: out.visitors.count,
    mediaStats: out.stats.count,
    engagements: out.engagement.count,
    eventPages,
    requests: c.metrics.requests,
    retries: c.metrics.retries,
    rateLimited: c.metrics.rateLimited,
    byStatus: { ...c.metrics.byStatus },
    wallMs: Date.now() - t0,
    outDir: o.outDir,
  };
}
