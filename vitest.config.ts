import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: these machines are shared, and a test that runs Spark can wait minutes for a core.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Handlers log through Powertools: keep test output readable, and no X-Ray outside Lambda.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_DEV: 'false' },
  },
});
