import { defineConfig } from 'vitest/config';

// Three tiers (issue 13): `unit` — pure code, the ASL, the simulator and the client over loopback HTTP, seconds each,
// short timeouts — runs alone with `npm run test:unit`; `integration` — the simulator through the runner,
// PostgreSQL, moto, the Redshift stand-in, CDK synth (once a run, shared by the infra-*.test.ts files), the CLI,
// Chromium, the operator tools over a seeded account — and `e2e` (the list below), both with timeouts for a
// shared machine. `npm test` runs all three (and pytest).
const UNIT = [
  'test/account-budget.test.ts',
  'test/api-version.test.ts',
  'test/architecture.test.ts',
  'test/asl.test.ts',
  'test/bench.test.ts',
  'test/cli-help.test.ts',
  'test/client.test.ts',
  'test/contract.test.ts',
  'test/cost.test.ts',
  'test/dashboard-queries.test.ts',
  'test/distributed-map.test.ts',
  'test/bench-targets.test.ts',
  'test/catalog.test.ts',
  'test/graph-parts.test.ts',
  'test/history.test.ts',
  'test/metrics.test.ts',
  'test/payload-limits.test.ts',
  'test/payloads.test.ts',
  'test/planning.test.ts',
  'test/replay-planning.test.ts',
  'test/simulator-schemas.test.ts',
  'test/simulator-semantics.test.ts',
  'test/token.test.ts',
  'test/workflows.test.ts',
];

/**
 * End to end: the state machine through the runner with the transform on real Spark into PostgreSQL (or the Glue
 * twin into the Redshift stand-in), and the reliability week. The rest of test/ is the integration tier (the
 * simulator over HTTP, the S3 and SSM servers, PostgreSQL, the CLI, the browser; some over a seeded account
 * built once).
 */
const E2E = [
  'test/dated-api.test.ts',
  'test/aws-path.test.ts',
  'test/bad-records.test.ts',
  'test/dashboard-health.test.ts',
  'test/glue-runtime.test.ts',
  'test/reliability.test.ts',
  'test/reliability-input.test.ts',
  'test/replay.test.ts',
  'test/warehouse.test.ts',
];

// Generous: these machines are shared, and a test that runs Spark can wait minutes for a core.
const SLOW = { testTimeout: 600_000, hookTimeout: 600_000 };

export default defineConfig({
  test: {
    pool: 'forks',
    // Handlers log through Powertools: keep test output readable, and no X-Ray outside Lambda.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_DEV: 'false' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...E2E],
          // one scratch folder per run, where the infra-*.test.ts files share one `cdk synth` (test/helpers/synth.ts)
          globalSetup: ['test/helpers/synth-run-dir.ts', 'test/helpers/transform-server.ts'],
          setupFiles: ['test/helpers/transform-client.ts'],
          ...SLOW,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          // after the unit and integration files (vitest runs one group order after another): npm test starts pytest
          // beside vitest (scripts/bootstrap.mjs), so pytest's Spark shares the machine with the lighter tiers, not
          // with the Spark-heavy e2e files
          sequence: { groupOrder: 1 },
          // one Spark worker for the whole run, shared by the e2e and integration files (test/helpers/transform-server.ts)
          globalSetup: ['test/helpers/transform-server.ts'],
          setupFiles: ['test/helpers/transform-client.ts'],
          ...SLOW,
        },
      },
    ],
  },
});
