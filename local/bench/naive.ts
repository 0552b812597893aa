// The baseline: a straightforward sequential extractor, written the way typical open-source Wistia extractors
// are: its own minimal axios calls, one request at a time, no fan-out. It lists medias page by page, then for
// each media its stats (by date, over the same range as the pipeline) and its engagement, then every events
// page and every visitors page, sleeping on a 429 for its Retry-After and retrying. Records go to JSON Lines
// files as they arrive. It fetches the same data as the pipeline's first run.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import axios from 'axios';

export interface NaiveOptions {
  /** The v1 base URL, e.g. http://127.0.0.1:8600/v1. */
  readonly baseUrl: string;
  readonly token: string;
  /** Where the JSON Lines files go. */
  readonly outDir: string;
  /** First day of the stats by date (YYYY-MM-DD). */
  readonly since: string;
  readonly today: string;
  /** Attempts per request on 5xx and network errors. Default 5. */
  readonly maxAttempts?: number;
}

export interface NaiveResult {
  readonly requests: number;
  readonly byStatus: Record<string, number>;
  readonly rateLimited: number;
  readonly records: { medias: number; events: number; visitors: number; media_stats: number; media_engagement: number };
  readonly wallMs: number;
}

const PER_PAGE = 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class NaiveRequestError extends Error {
  override name = 'NaiveRequestError';
}

class Lines {
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
    this.s.end();
    await once(this.s, 'finish');
  }
}

export async function naiveExtract(o: NaiveOptions): Promise<NaiveResult> {
  const t0 = Date.now();
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let rateLimited = 0;
  const maxAttempts = o.maxAttempts ?? 5;
  const auth = { username: 'api', password: o.token };

  const get = async (path: string, params: Record<string, string | number> = {}): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let data: unknown;
      let retryAfter: string | undefined;
      try {
        const r = await axios.get(`${o.baseUrl}${path}.json`, {
          params,
          auth,
          timeout: 30_000,
          validateStatus: () => true,
        });
        status = r.status;
        data = r.data;
        retryAfter = r.headers['retry-after'] as string | undefined;
      } catch (e) {
        // never the axios error itself: it carries the request config (and so the credentials)
        status = 0;
        data = (e as { code?: string }).code ?? 'network error';
      }
      requests++;
      byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
      if (status === 200) return data;
      if (status === 429) {
        rateLimited++;
        await sleep((Number(retryAfter) || 5) * 1000);
        continue;
      }
      if ((status === 0 || status >= 500) && attempt < maxAttempts) {
        await sleep(1000 * attempt);
        continue;
      }
      throw new NaiveRequestError(`GET ${path}: ${status === 0 ? String(data) : `HTTP ${status}`}`);
    }
  };
  const pages = async function* (path: string, params: Record<string, string | number> = {}) {
    for (let page = 1; ; page++) {
      const body = await get(path, { ...params, page, per_page: PER_PAGE });
      if (!Array.isArray(body)) throw new NaiveRequestError(`GET ${path} page ${page}: not a JSON array`);
      yield body as Record<string, unknown>[];
      if (body.length < PER_PAGE) return;
    }
  };

  mkdirSync(o.outDir, { recursive: true });
  const out = {
    medias: new Lines(join(o.outDir, 'medias.jsonl')),
    events: new Lines(join(o.outDir, 'events.jsonl')),
    visitors: new Lines(join(o.outDir, 'visitors.jsonl')),
    media_stats: new Lines(join(o.outDir, 'media_stats.jsonl')),
    media_engagement: new Lines(join(o.outDir, 'media_engagement.jsonl')),
  };
  try {
    const ids: string[] = [];
    for await (const page of pages('/medias'))
      for (const m of page) {
        ids.push(String(m.hashed_id));
        await out.medias.write(m);
      }
    for (const id of ids) {
      const path = `/stats/medias/${encodeURIComponent(id)}`;
      await out.media_stats.write({
        hashed_id: id,
        by_date: await get(`${path}/by_date`, { start_date: o.since, end_date: o.today }),
      });
      await out.media_engagement.write({ hashed_id: id, ...((await get(`${path}/engagement`)) as object) });
    }
    for await (const page of pages('/stats/events')) for (const e of page) await out.events.write(e);
    for await (const page of pages('/stats/visitors')) for (const v of page) await out.visitors.write(v);
  } finally {
    await Promise.all(Object.values(out).map((l) => l.close()));
  }
  return {
    requests,
    byStatus,
    rateLimited,
    records: {
      medias: out.medias.count,
      events: out.events.count,
      visitors: out.visitors.count,
      media_stats: out.media_stats.count,
      media_engagement: out.media_engagement.count,
    },
    wallMs: Date.now() - t0,
  };
}
