// Fixtures of the planning core's tests (test/planning.test.ts, test/replay-planning.test.ts): a config, a lease,
// watermarks as a daily run leaves them.
import { DEFAULT_CONFIG, type PipelineConfig } from '#shared/pipeline/config.ts';
import type { Watermarks } from '#shared/pipeline/watermarks.ts';

export const config: PipelineConfig = { ...DEFAULT_CONFIG, accountRequestsPerMinute: 600, maxConcurrency: 10 };
export const lease = { key: 'state/run-lease.json', etag: '"l1"' };
export const wm = (over: Partial<Watermarks> = {}): Watermarks => ({
  version: 1,
  medias: { maxUpdated: '2026-11-19T12:00:00.000Z' },
  events: { throughDay: '2026-11-19', maxReceivedAt: '2026-11-19T20:00:00.000Z' },
  visitors: { estimatedTotal: 500 },
  carryOver: { medias: [], visitors: [] },
  lastRun: { runId: 'daily-2026-11-19', committedAt: '2026-11-19T23:00:00.000Z', ingestDate: '2026-11-19' },
  ...over,
});
