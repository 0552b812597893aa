// Run metrics (issue 14): a handler's EMF output, parsed as CloudWatch would, equals what the run did (the
// simulator's request log, the bronze objects in the store); every log line of an invocation carries its
// correlation ids, also when map items run concurrently in one process (the local twin).
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore } from '#shared/store/file-store.ts';
import { DEFAULT_CONFIG } from '#shared/pipeline/config.ts';
import type { Deps } from '#shared/pipeline/deps.ts';
import { clientLogger, logger } from '#shared/powertools.ts';
import {
  byDimension,
  METRIC_NAMES,
  METRIC_SPECS,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  parseEmf,
  sumPoints,
  total,
} from '#shared/metrics.ts';
import { makeHandler as eventPages } from '../functions/event-pages/handler.ts';
import { makeHandler as mediaEngagement } from '../functions/media-engagement/handler.ts';
import type { WistiaSimulator } from '#local/simulator/server.ts';
import { clientFor, ROOT, sim, TODAY, TOKEN } from './helpers/sim.ts';
import { listKeys } from './helpers/pipeline.ts';

let s: WistiaSimulator;
beforeAll(async () => {
  s = await sim({ medias: 6 });
});
afterAll(() => s.close());

function depsFor(dir: string): Deps {
  const base = clientFor(s, { maxRetryTimeMs: 60_000, maxAttempts: 12, logger: clientLogger });
  return {
    store: new FileObjectStore(dir, 'local'),
    config: { ...DEFAULT_CONFIG },
    wistia: (rpm) => base.withBudget(rpm),
    now: () => new Date(),
    executionStatus: async () => undefined,
  };
}

const ctx = (functionName: string, id: string) => ({
  functionName,
  awsRequestId: id,
  getRemainingTimeInMillis: () => 900_000,
});

/** Runs `fn` with stdout and stderr captured: the lines a Lambda would send to CloudWatch Logs (warnings go to stderr). */
async function stdoutOf<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((st) => st.write.bind(st));
  for (const st of streams)
    st.write = ((c: string | Uint8Array) => {
      chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
      return true;
    }) as typeof st.write;
  try {
    const result = await fn();
    return { result, lines: chunks.join('').split('\n').filter(Boolean) };
  } finally {
    streams.forEach((st, i) => (st.write = writes[i]!));
  }
}

const window = { start: '2026-09-25', end: TODAY };
const eventsInput = { runId: 'run-metrics-1', ingestDate: TODAY, window, requestsPerMinute: 60_000 };

describe('run metrics', () => {
  it('names every metric once in contracts/metrics.json, with a unit and a source', () => {
    const spec = JSON.parse(readFileSync(join(ROOT, 'contracts', 'metrics.json'), 'utf8')) as {
      namespace: string;
      metrics: Record<string, { unit: string; source: string }>;
    };
    expect(METRICS_NAMESPACE).toBe(spec.namespace);
    expect(METRIC_NAMES).toEqual(Object.keys(spec.metrics));
    for (const n of METRIC_NAMES) {
      expect(['Count', 'Bytes', 'Seconds']).toContain(METRIC_SPECS[n].unit);
      expect(['lambda', 'glue']).toContain(METRIC_SPECS[n].source);
    }
  });

  it("a handler's EMF lines parse to what it did: requests, retries and 429s as the simulator saw them, pages, records and bytes as the store holds them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-metrics-'));
    s.resetCounters();
    // the first two requests answered 429 (each with Retry-After: 1), the rest served
    s.configure({ faults: { rate: 1, kinds: ['429'], burstMs: 1 } });
    void s.configureAfter(2, { faults: { rate: 0 } });
    const h = eventPages(depsFor(dir));
    const { result, lines } = await stdoutOf(() => h(eventsInput, ctx('wistia-event-pages', 'req-1')));
    const out = result as { requests: number; pages: number; events: number };

    const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((d) => d._aws);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(d.service).toBe(METRICS_SERVICE);
      expect(d.handler).toBe('wistia-event-pages');
      expect(d.execution).toBe('run-metrics-1');
      expect(d.item).toBe(`window=${window.start}_${window.end}`);
    }
    const points = sumPoints(parseEmf(lines));

    const log = s.requestLog();
    const rateLimited = log.filter((r) => r.status === '429').length;
    expect(rateLimited).toBe(2);
    expect(total(points, 'WistiaRequests')).toBe(log.length);
    expect(total(points, 'WistiaRequests')).toBe(out.requests);
    expect(total(points, 'WistiaRateLimited')).toBe(rateLimited);
    expect(total(points, 'WistiaRetries')).toBe(log.length - out.pages); // one success per page, the rest retried

    const keys = await listKeys(new FileObjectStore(dir, 'local'), 'bronze/');
    const bytes = keys.reduce((n, k) => n + statSync(join(dir, k)).size, 0);
    expect(total(points, 'BronzePages')).toBe(keys.length);
    expect(total(points, 'BronzePages')).toBe(out.pages);
    expect(total(points, 'RecordsLanded')).toBe(out.events);
    expect(total(points, 'BronzeBytes')).toBe(bytes);
    // the per-entity series sum to the totals
    expect(byDimension(points, 'RecordsLanded', 'entity')).toEqual({ events: out.events });
    expect(byDimension(points, 'BronzeBytes', 'entity')).toEqual({ events: bytes });
  });

  it('a failed invocation still publishes what it spent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-metrics-'));
    const deps = depsFor(dir);
    const bad = { ...deps, wistia: () => clientFor(s, { token: 'wrong-token', maxAttempts: 1 }).withBudget(0) };
    s.resetCounters();
    const { lines } = await stdoutOf(async () => {
      await expect(eventPages(bad)(eventsInput, ctx('wistia-event-pages', 'req-2'))).rejects.toThrow();
    });
    const points = sumPoints(parseEmf(lines));
    expect(total(points, 'WistiaRequests')).toBe(s.requestLog().length);
    expect(total(points, 'WistiaRequests')).toBeGreaterThan(0);
    expect(total(points, 'BronzePages')).toBe(0);
    expect(TOKEN).not.toBe('wrong-token');
    for (const l of lines) expect(l).not.toContain('wrong-token');
  });

  it('concurrent invocations (the twin runs map items in one process) keep their own counters and correlation ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-metrics-'));
    const deps = depsFor(dir);
    const medias = s.world.medias.slice(0, 4).map((m) => ({ hashed_id: m.hashedId }));
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    s.resetCounters();
    // one request in two answered 429: each media retries, and logs it
    s.configure({ faults: { rate: 0.5, kinds: ['429'], burstMs: 1 } });
    try {
      const h = mediaEngagement(deps);
      const { lines } = await stdoutOf(() =>
        Promise.all(
          medias.map((media, i) =>
            h(
              {
                runId: 'run-metrics-2',
                ingestDate: TODAY,
                media,
                range: { start: '2026-11-01', end: TODAY },
                requestsPerMinute: 60_000,
              },
              ctx('wistia-media-engagement', `req-c${i}`),
            ),
          ),
        ),
      );
      const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const emf = docs.filter((d) => d._aws);
      // per media: its requests in its own documents, as the simulator saw them per media
      for (const media of medias) {
        const own = lines.filter(
          (l) =>
            (JSON.parse(l) as { item?: string; _aws?: unknown })._aws &&
            l.includes(`"item":"media=${media.hashed_id}"`),
        );
        const served = s.requestLog().filter((r) => r.path.includes(`/${media.hashed_id}`)).length;
        expect(total(sumPoints(parseEmf(own)), 'WistiaRequests')).toBe(served);
      }
      expect(total(sumPoints(parseEmf(lines)), 'WistiaRequests')).toBe(s.requestLog().length);
      expect(new Set(emf.map((d) => d.item))).toEqual(new Set(medias.map((m) => `media=${m.hashed_id}`)));
      // every log line names its invocation's execution, item and request id, never another's
      const logs = docs.filter((d) => d.level);
      expect(logs.length).toBeGreaterThan(0); // the client logs each 429's retry
      for (const d of logs) {
        expect(d.execution).toBe('run-metrics-2');
        const i = medias.findIndex((m) => d.item === `media=${m.hashed_id}`);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(d.function_request_id).toBe(`req-c${i}`);
      }
    } finally {
      s.configure({ faults: { rate: 0 } });
      logger.setLogLevel(level as never);
    }
  });
});

describe('the run figures status and the dashboard show (local/ops/run-metrics.ts)', () => {
  it("are null, not 0, for a record written before the runner kept metrics, and the sums of a record's points", async () => {
    const { runMetrics } = await import('#local/ops/run-metrics.ts');
    const old = runMetrics({}, null);
    expect(old).toEqual({
      requests: null,
      retries: null,
      rateLimited: null,
      bronzePages: null,
      recordsLanded: null,
      recordsQuarantined: null,
      quarantineShare: null,
      transformSeconds: null,
    });
    const point = (name: string, value: number, dimensions: Record<string, string> = {}) =>
      ({ name, value, unit: 'Count', dimensions }) as never;
    const m = runMetrics(
      {
        metrics: [
          point('WistiaRequests', 40),
          point('WistiaRateLimited', 2),
          // an entity metric is emitted per entity and with `service` alone (the total an alarm reads)
          point('RecordsLanded', 7, { entity: 'events' }),
          point('RecordsLanded', 5, { entity: 'visitors' }),
          point('RecordsLanded', 12),
        ],
      },
      null,
    );
    expect([m.requests, m.retries, m.rateLimited, m.recordsLanded, m.transformSeconds]).toEqual([40, 0, 2, 12, null]);
  });
});
