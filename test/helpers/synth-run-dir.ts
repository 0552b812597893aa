// vitest globalSetup (the integration project, vitest.config.ts): one scratch folder per test run, handed to the
// test files with provide/inject, in which test/helpers/synth.ts synthesizes the app the first time a file asks
// for it (so the four test/infra-*.test.ts files share one `cdk synth`). Removed when the run ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's scratch folder for the shared synth (test/helpers/synth.ts). */
    synthRunDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'wp-synth-run-'));
  project.provide('synthRunDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
