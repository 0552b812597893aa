import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency rules between the folders (docs/architecture.md), as no-restricted-imports per files glob. A file
// gets the options of the last block that matches it (ESLint does not merge them), so each block below carries
// every rule for its files. The patterns match the import as written: relative ('../commit/handler.ts') or aliased
// ('#shared/...', '#local/...').

/** The handlers: every folder of functions/ but shared/. */
const HANDLERS = readdirSync(new URL('./functions/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'shared')
  .map((d) => d.name)
  .sort();

/**
 * Imports of another handler allowed by name (handler folder -> paths): none since issue 15 moved the plan's
 * payloads to functions/shared/pipeline/payloads.ts. Keep it empty: shared code belongs in functions/shared.
 */
const KNOWN_HANDLER_IMPORTS = {};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `^../../` for depth 2: the relative prefix from a file `depth` folders below functions/ back to functions/. */
const up = (depth) => `^(?:\\.\\./){${depth}}`;
/** Depths 1..4 below a folder: files `<dir>/*.ts`, `<dir>/*\/*.ts`, ... */
const DEPTHS = [1, 2, 3, 4];
const below = (dir, depth) => `${dir}/${'*/'.repeat(depth - 1)}*.ts`;

const NO_TESTS = { regex: '(^|/)test/', message: 'Only test/ imports test/.' };
const NO_CDK = { regex: '^(aws-cdk-lib|constructs)(/|$)', message: 'Only infra/ loads the CDK.' };
const FUNCTIONS_NO_LOCAL_INFRA = {
  regex: '(^|/)(local|infra)/|^#local/',
  message: 'functions/ never imports local/ or infra/: the Lambdas run in AWS without them.',
};

const restrict = (files, patterns, ignores = []) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

/** Any file of functions/ (deeper than the blocks below go, too). */
const functionsBlock = restrict(['functions/**/*.ts'], [FUNCTIONS_NO_LOCAL_INFRA, NO_CDK, NO_TESTS]);

/** functions/shared/: never a handler. */
const sharedBlocks = DEPTHS.map((depth) =>
  restrict(
    [below('functions/shared', depth)],
    [
      FUNCTIONS_NO_LOCAL_INFRA,
      NO_CDK,
      NO_TESTS,
      {
        regex: `${up(depth)}(${HANDLERS.map(escape).join('|')})/`,
        message:
          'functions/shared/ never imports a handler (functions/<name>/): handlers depend on shared, not the reverse.',
      },
    ],
  ),
);

/** functions/<name>/: functions/shared/ and its own folder, never another handler. */
const handlerBlocks = HANDLERS.flatMap((name) =>
  DEPTHS.map((depth) => {
    const others = HANDLERS.filter((h) => h !== name).map(escape);
    const known = (KNOWN_HANDLER_IMPORTS[name] ?? []).map((p) => `${escape(p)}$`);
    const except = known.length ? `(?!${known.join('|')})` : '';
    return restrict(
      [below(`functions/${name}`, depth)],
      [
        FUNCTIONS_NO_LOCAL_INFRA,
        NO_CDK,
        NO_TESTS,
        {
          regex: `${up(depth)}${except}(${others.join('|')})/`,
          message:
            'A handler (functions/<name>/) never imports another handler: what two handlers share lives in functions/shared/.',
        },
      ],
    );
  }),
);

/** infra/: the CDK app; from functions/ only constants, never a handler's or shared code; never local/. */
// shared/wistia/api-version.ts: the synth checks the apiVersion context by the rule the client applies
const INFRA_CONSTANTS = ['shared/pipeline/keys.ts', 'shared/wistia/api-version.ts', 'warehouse-bootstrap/sql-files.ts'];
const infraBlock = restrict(
  ['infra/**/*.ts'],
  [
    { regex: '(^|/)local/|^#local/', message: 'infra/ never imports local/.' },
    NO_TESTS,
    {
      regex: `(^|/)functions/(?!(${INFRA_CONSTANTS.map(escape).join('|')})$)|^#shared/(?!pipeline/keys\\.ts$)`,
      message:
        'infra/ imports from functions/ only the constants modules listed in eslint.config.js (INFRA_CONSTANTS); it bundles handlers by path, never imports their code.',
    },
  ],
);

/** local/: the twin. functions/shared/ (#shared/...) yes; a handler only in local/runner/; no CDK. */
const LOCAL_NO_INFRA = {
  regex: '(^|/)infra/(?!constructs/sizing\\.ts$)',
  message: 'local/ imports from infra/ only infra/constructs/sizing.ts (plain numbers, no CDK).',
};
const localBlock = restrict(
  ['local/**/*.ts'],
  [
    LOCAL_NO_INFRA,
    NO_CDK,
    NO_TESTS,
    {
      regex: '(^|/)functions/(?!shared/)',
      message:
        'Only local/runner/ imports a handler (functions/<name>/); the rest of local/ uses functions/shared/ (#shared/...).',
    },
  ],
  ['local/runner/**'],
);
const runnerBlock = restrict(['local/runner/**/*.ts'], [LOCAL_NO_INFRA, NO_CDK, NO_TESTS]);

/** Exported for test/architecture.test.ts. */
export const ARCHITECTURE = { HANDLERS, KNOWN_HANDLER_IMPORTS, INFRA_CONSTANTS };

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      '.data/',
      '.venv/',
      '.venv-glue/',
      '.tools/',
      'dist/',
      'coverage/',
      'pyspark/',
      '.bench/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only', message: 'No .only left in tests.' },
        { object: 'describe', property: 'only', message: 'No .only left in tests.' },
        { object: 'test', property: 'only', message: 'No .only left in tests.' },
        { object: 'it', property: 'skip', message: 'No skipped tests.' },
        { object: 'describe', property: 'skip', message: 'No skipped tests.' },
        { object: 'test', property: 'skip', message: 'No skipped tests.' },
      ],
    },
  },
  functionsBlock,
  ...sharedBlocks,
  ...handlerBlocks,
  infraBlock,
  localBlock,
  runnerBlock,
);
