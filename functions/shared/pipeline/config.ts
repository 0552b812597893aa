// Pipeline configuration, read once at cold start from the environment. A missing or malformed variable
// stops the function at once with the variable's name.

export interface PipelineConfig {
  /** Requests per minute the whole account may spend (Wistia allows 600). */
  readonly accountRequestsPerMinute: number;
  /** Largest number of map children at once (each gets its share of the account budget). */
  readonly maxConcurrency: number;
  /** Days per backfill window (the first run): wider windows make empty days cost nothing. */
  readonly backfillWindowDays: number;
  /** First day of the backfill; default: the two years the API keeps. */
  readonly backfillStartDate: string | undefined;
  /** Re-read medias updated this long before the media watermark (offset paging under concurrent updates). */
  readonly mediasOverlapMinutes: number;
  /** Visitor keys per lookup batch (one Lambda invocation). */
  readonly visitorBatchSize: number;
  /** Tolerated failed items (%) in the engagement and visitor maps; the events map tolerates none. */
  readonly toleratedFailurePercentage: number;
  /** Stop paging and hand back a continuation when less than this much Lambda time remains. */
  readonly reserveMs: number;
}

export const DEFAULT_CONFIG: PipelineConfig = {
  accountRequestsPerMinute: 570,
  maxConcurrency: 10,
  backfillWindowDays: 30,
  backfillStartDate: undefined,
  mediasOverlapMinutes: 60,
  visitorBatchSize: 100,
  toleratedFailurePercentage: 5,
  reserveMs: 60_000,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError(`${name} is not set`);
  return v;
}

function numberEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new ConfigError(`${name} must be a number in [${min}, ${max}], got "${raw}"`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const start = env.BACKFILL_START_DATE?.trim() || undefined;
  if (start !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(start))))
    throw new ConfigError(`BACKFILL_START_DATE must be YYYY-MM-DD, got "${start}"`);
  return {
    accountRequestsPerMinute: numberEnv(
      env,
      'ACCOUNT_REQUESTS_PER_MINUTE',
      DEFAULT_CONFIG.accountRequestsPerMinute,
      1,
      100_000,
    ),
    maxConcurrency: Math.floor(numberEnv(env, 'MAX_CONCURRENCY', DEFAULT_CONFIG.maxConcurrency, 1, 1000)),
    backfillWindowDays: Math.floor(numberEnv(env, 'BACKFILL_WINDOW_DAYS', DEFAULT_CONFIG.backfillWindowDays, 1, 730)),
    backfillStartDate: start,
    mediasOverlapMinutes: numberEnv(env, 'MEDIAS_OVERLAP_MINUTES', DEFAULT_CONFIG.mediasOverlapMinutes, 0, 10_080),
    visitorBatchSize: Math.floor(numberEnv(env, 'VISITOR_BATCH_SIZE', DEFAULT_CONFIG.visitorBatchSize, 1, 1000)),
    toleratedFailurePercentage: numberEnv(
      env,
      'TOLERATED_FAILURE_PERCENTAGE',
      DEFAULT_CONFIG.toleratedFailurePercentage,
      0,
      100,
    ),
    reserveMs: numberEnv(env, 'RESERVE_MS', DEFAULT_CONFIG.reserveMs, 0, 900_000),
  };
}

/** Each of `items` map children gets an equal share of the account budget. */
export function perItemBudget(
  config: PipelineConfig,
  items: number,
): { maxConcurrency: number; requestsPerMinute: number } {
  const maxConcurrency = Math.max(1, Math.min(config.maxConcurrency, items));
  return {
    maxConcurrency,
    requestsPerMinute: Math.max(1, Math.floor(config.accountRequestsPerMinute / maxConcurrency)),
  };
}
