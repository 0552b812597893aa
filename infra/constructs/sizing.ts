// The deployed sizes as plain numbers: what the constructs build with and what the local cost estimate
// (local/ops/cost.ts) bills by. No aws-cdk-lib import here: the local twin reads this module at runtime and must
// not load the CDK.

/** Lambda memory when a function sets none (infra/constructs/lambda.ts), MB. */
export const DEFAULT_LAMBDA_MEMORY_MB = 512;

/**
 * Memory per handler folder (functions/<dir>), MB: the Ingestion construct passes each to its function. The local
 * runner names the functions `wistia-<dir>` (local/runner/run.ts FUNCTIONS).
 */
export const LAMBDA_MEMORY_MB: Readonly<Record<string, number>> = {
  plan: DEFAULT_LAMBDA_MEMORY_MB,
  'event-pages': DEFAULT_LAMBDA_MEMORY_MB,
  'plan-engagement': DEFAULT_LAMBDA_MEMORY_MB,
  'media-engagement': DEFAULT_LAMBDA_MEMORY_MB,
  'visitor-lookup': DEFAULT_LAMBDA_MEMORY_MB,
  'visitor-scan': DEFAULT_LAMBDA_MEMORY_MB,
  commit: DEFAULT_LAMBDA_MEMORY_MB,
};

/** The Glue job's worker type and default worker count (infra/constructs/warehouse.ts). */
export const GLUE_WORKER_TYPE = 'G.1X';
export const DEFAULT_GLUE_WORKERS = 2;
/** DPUs per worker by type (G.1X 1, G.2X 2, G.4X 4, G.8X 8: https://awsnegotiations.com/glue-job-cost-optimization.html, a third-party page, read 2026-12-03; the search found no AWS page saying it). */
export const GLUE_DPUS_PER_WORKER: Readonly<Record<string, number>> = { 'G.1X': 1, 'G.2X': 2, 'G.4X': 4, 'G.8X': 8 };

/** Redshift Serverless workgroup base capacity, RPUs (8 to 512 in units of 8). */
export const DEFAULT_BASE_CAPACITY = 8;
