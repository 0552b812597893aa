// The dependency rules of docs/architecture.md, as eslint.config.js enforces them: each rule reports a deliberately
// bad import (linted in memory with the project's config, no file written) and lets the allowed ones through.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/sim.ts';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The no-restricted-imports messages for `import ... from '<source>'` in a file at `path` (relative to the root). */
async function restricted(path: string, source: string): Promise<string[]> {
  const code = `import { x } from '${source}';\nexport const y = x;\n`;
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import rules between the folders (docs/architecture.md)', () => {
  it('a handler importing another handler is reported', async () => {
    const messages = await restricted('functions/plan/x.ts', '../commit/handler.ts');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('never imports another handler');
    expect(await restricted('functions/visitor-scan/x.ts', '../event-pages/handler.ts')).toHaveLength(1);
  });

  it('a type-only import of another handler is reported too', async () => {
    const [result] = await eslint.lintText("import type { X } from '../commit/handler.ts';\nexport type Y = X;\n", {
      filePath: join(ROOT, 'functions/plan/x.ts'),
    });
    expect(result?.messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });

  it('a handler may import functions/shared and its own folder', async () => {
    expect(await restricted('functions/plan/x.ts', '../shared/pipeline/keys.ts')).toEqual([]);
    expect(await restricted('functions/plan/x.ts', './handler.ts')).toEqual([]);
  });

  it('functions/shared importing a handler is reported, at any depth', async () => {
    expect(await restricted('functions/shared/x.ts', '../plan/handler.ts')).toHaveLength(1);
    expect(await restricted('functions/shared/pipeline/planning/x.ts', '../../../commit/handler.ts')).toHaveLength(1);
    expect(await restricted('functions/shared/pipeline/x.ts', '../store/store.ts')).toEqual([]);
  });

  it('functions/ importing local/, infra/ or the CDK is reported', async () => {
    expect(await restricted('functions/plan/x.ts', '#local/simulator/world.ts')).toHaveLength(1);
    expect(await restricted('functions/shared/pipeline/x.ts', '../../../local/net.ts')).toHaveLength(1);
    expect(await restricted('functions/commit/x.ts', '../../infra/constructs/sizing.ts')).toHaveLength(1);
    expect(await restricted('functions/commit/x.ts', 'aws-cdk-lib')).toHaveLength(1);
  });

  it('infra/ imports from functions/ only the listed constants modules', async () => {
    expect(await restricted('infra/constructs/x.ts', '../../functions/commit/handler.ts')).toHaveLength(1);
    expect(await restricted('infra/constructs/x.ts', '../../functions/shared/store/store.ts')).toHaveLength(1);
    expect(await restricted('infra/constructs/x.ts', '../../functions/shared/pipeline/keys.ts')).toEqual([]);
    expect(await restricted('infra/constructs/x.ts', '../../local/net.ts')).toHaveLength(1);
  });

  it('only local/runner imports a handler; local/ never loads the CDK or an infra construct', async () => {
    expect(await restricted('local/cli/x.ts', '../../functions/plan/handler.ts')).toHaveLength(1);
    expect(await restricted('local/runner/x.ts', '../../functions/plan/handler.ts')).toEqual([]);
    expect(await restricted('local/cli/x.ts', '#shared/pipeline/keys.ts')).toEqual([]);
    expect(await restricted('local/ops/x.ts', '../../infra/constructs/storage.ts')).toHaveLength(1);
    expect(await restricted('local/ops/x.ts', '../../infra/constructs/sizing.ts')).toEqual([]);
    expect(await restricted('local/runner/x.ts', 'aws-cdk-lib/aws-s3')).toHaveLength(1);
  });

  it('allows no handler to import another: the exception list is empty, and no handler source imports a sibling', async () => {
    const { ARCHITECTURE } = (await import(join(ROOT, 'eslint.config.js'))) as {
      ARCHITECTURE: { KNOWN_HANDLER_IMPORTS: Record<string, string[]>; HANDLERS: string[] };
    };
    expect(ARCHITECTURE.KNOWN_HANDLER_IMPORTS).toEqual({});
    for (const name of ARCHITECTURE.HANDLERS)
      for (const file of readdirSync(join(ROOT, 'functions', name)).filter((f) => f.endsWith('.ts'))) {
        const source = readFileSync(join(ROOT, 'functions', name, file), 'utf8');
        expect(source, `functions/${name}/${file}`).not.toMatch(/from '\.\.\/(?!shared\/)[a-z-]+\//);
      }
  });
});
