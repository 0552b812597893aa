// One measured ingestion in a process of its own, so that its peak memory is this process's maxRSS and the
// simulator (in the parent) is not counted. Started by the bench as `node --import tsx child.ts '<spec JSON>'`
// with the API token in WISTIA_API_TOKEN (never in the spec); prints one line of JSON: its result.
import { pathToFileURL } from 'node:url';
import { runPipeline, skipTransform } from '../runner/run.ts';
import { envToken } from '#shared/wistia/token.ts';
import { naiveExtract, type NaiveResult } from './naive.ts';

export type ChildSpec =
  | {
      readonly kind: 'pipeline';
      readonly baseUrl: string;
      readonly dataDir: string;
      readonly today: string;
      readonly accountRequestsPerMinute: number;
      /** The account budget's file, when several runs share one (default: <dataDir>/budget.json). */
      readonly budgetFile?: string;
    }
  | {
      readonly kind: 'naive';
      readonly baseUrl: string;
      readonly outDir: string;
      readonly since: string;
      readonly today: string;
    };

export interface MapRunSummary {
  readonly label: string;
  readonly items: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly aborted: number;
  readonly pending: number;
}

export type ChildResult = {
  readonly maxRssKb: number;
  /** The largest live heap seen (heapUsed right after a full GC, every 2 s), when started with --expose-gc. */
  readonly peakLiveHeapBytes?: number;
} & (
  | {
      readonly kind: 'pipeline';
      readonly execution: string;
      readonly status: 'SUCCEEDED' | 'FAILED';
      readonly error?: string;
      readonly cause?: string;
      readonly wallMs: number;
      /** Requests the handlers' clients made (the simulator's own count is the one reported). */
      readonly clientRequests: number;
      readonly mapRuns: MapRunSummary[];
    }
  | ({ readonly kind: 'naive' } & NaiveResult)
);

/**
 * Live memory, as opposed to RSS (which also holds garbage V8 has not collected yet): with --expose-gc, a full
 * collection every 2 s and the heap left after it. A few milliseconds per sample on heaps this size.
 */
function liveHeapSampler(): () => number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return () => undefined;
  let peak = 0;
  const sample = () => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 2000);
  timer.unref();
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

export async function runChild(spec: ChildSpec): Promise<ChildResult> {
  const live = liveHeapSampler();
  const token = envToken();
  if (spec.kind === 'naive') {
    const r = await naiveExtract({ ...spec, token: await token() });
    return { kind: 'naive', ...r, maxRssKb: process.resourceUsage().maxRSS, peakLiveHeapBytes: live() };
  }
  const record = await runPipeline({
    dataDir: spec.dataDir,
    apiBaseUrl: spec.baseUrl,
    token,
    input: { today: spec.today },
    config: {
      accountRequestsPerMinute: spec.accountRequestsPerMinute,
      // WISTIA_BENCH_MAX_CONCURRENCY: most map items at once (the deployed MAX_CONCURRENCY, default 10), to measure
      // how the shared budget uses more slots (issue 16 item 2)
      ...(process.env.WISTIA_BENCH_MAX_CONCURRENCY
        ? { maxConcurrency: Number(process.env.WISTIA_BENCH_MAX_CONCURRENCY) }
        : {}),
    },
    ...(spec.budgetFile ? { budget: { file: spec.budgetFile } } : {}),
    glue: skipTransform, // the ingestion bench measures the API side; the transform bench runs the job itself
  });
  return {
    kind: 'pipeline',
    execution: record.name,
    status: record.status,
    ...(record.error ? { error: record.error, cause: String(record.cause).slice(0, 500) } : {}),
    wallMs: record.durationMs,
    clientRequests: record.requests,
    mapRuns: record.mapRuns.map((m) => ({ label: m.label, items: m.items, ...m.counts })),
    maxRssKb: process.resourceUsage().maxRSS,
    peakLiveHeapBytes: live(),
  };
}

const [, entry, spec] = process.argv;
if (spec !== undefined && entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const result = await runChild(JSON.parse(spec) as ChildSpec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
