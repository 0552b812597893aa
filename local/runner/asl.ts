// Loading the state machine definition for local execution: ${…} substitutions (the same names CDK fills in
// AWS), a check that every feature used is one the local runner honours, and the rewrite that hands each
// Distributed Map and each service Task to the project's own implementations.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type State = Record<string, Json> & { Type: string };
export interface Definition {
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
  Comment?: string;
  [k: string]: Json | undefined;
}

export const STATEMACHINE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'statemachine');
export const INGEST_ASL = join(STATEMACHINE_DIR, 'ingest.asl.json');
/** aws-local-stepfunctions overflows above this (setTimeout's 32-bit limit, in seconds). */
export const MAX_LOCAL_TIMEOUT_SECONDS = 2_147_483;

export function readDefinitionText(path = INGEST_ASL): string {
  return readFileSync(path, 'utf8');
}

/**
 * The top-level states that do the run's work (Task and Map), in the definition's order: the CLI prints a
 * progress line when one is entered. Read from the ASL, so a renamed or new state is never silently skipped.
 */
export function workStates(def: Pick<Definition, 'States'> = JSON.parse(readDefinitionText()) as Definition): string[] {
  return Object.entries(def.States)
    .filter(([, s]) => s.Type === 'Task' || s.Type === 'Map')
    .map(([name]) => name);
}

/** The `${Name}` placeholders a definition uses. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))].sort();
}

export function substitute(text: string, values: Record<string, string>): Definition {
  const missing = placeholders(text).filter((p) => !(p in values));
  if (missing.length) throw new Error(`no local binding for substitution(s): ${missing.join(', ')}`);
  const out = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => JSON.stringify(values[name]).slice(1, -1));
  return JSON.parse(out) as Definition;
}

const TASK_RESOURCES = new Set(['arn:aws:states:::lambda:invoke', 'arn:aws:states:::glue:startJobRun.sync']);
const COMMON = new Set([
  'Type',
  'Comment',
  'Next',
  'End',
  'InputPath',
  'OutputPath',
  'ResultPath',
  'Parameters',
  'ResultSelector',
  'Retry',
  'Catch',
]);
const ALLOWED: Record<string, Set<string>> = {
  Task: new Set([...COMMON, 'Resource', 'TimeoutSeconds']),
  Pass: new Set([...COMMON, 'Result']),
  Choice: new Set(['Type', 'Comment', 'Choices', 'Default', 'InputPath', 'OutputPath']),
  Succeed: new Set(['Type', 'Comment', 'InputPath', 'OutputPath']),
  Fail: new Set(['Type', 'Comment', 'Error', 'Cause', 'ErrorPath', 'CausePath']),
  Wait: new Set(['Type', 'Comment', 'Next', 'End', 'Seconds', 'InputPath', 'OutputPath']),
  Map: new Set([
    ...COMMON,
    'Label',
    'ItemReader',
    'ItemSelector',
    'ItemBatcher',
    'ItemProcessor',
    'ItemsPath',
    'MaxConcurrency',
    'MaxConcurrencyPath',
    'ToleratedFailurePercentage',
    'ToleratedFailurePercentagePath',
    'ToleratedFailureCount',
    'ToleratedFailureCountPath',
    'ResultWriter',
  ]),
};

/**
 * Every feature of the definition the local runner cannot honour, as readable findings (empty = runnable).
 * JSONata, Assign/Output/Arguments, Parallel, unknown Task resources, ItemReader other than a JSON/JSONL
 * getObject, ResultWriter WriterConfig, Distributed Map fields that use intrinsic functions, Map Parameters…
 */
export function unsupportedFeatures(def: Definition, where = ''): string[] {
  const out: string[] = [];
  if ('QueryLanguage' in def && def.QueryLanguage !== 'JSONPath')
    out.push(`${where}QueryLanguage ${String(def.QueryLanguage)}: only JSONPath runs locally`);
  for (const [name, s] of Object.entries(def.States)) {
    const at = `${where}"${name}"`;
    const allowed = ALLOWED[s.Type];
    if (!allowed) {
      out.push(`${at}: state type ${s.Type} is not supported locally`);
      continue;
    }
    for (const k of Object.keys(s))
      if (!allowed.has(k) && k !== 'QueryLanguage') out.push(`${at}: field ${k} is not honoured locally`);
    if ('QueryLanguage' in s && s.QueryLanguage !== 'JSONPath')
      out.push(`${at}: QueryLanguage ${String(s.QueryLanguage)} is not honoured locally`);
    if (s.Type === 'Task' && !TASK_RESOURCES.has(String(s.Resource)))
      out.push(`${at}: resource ${String(s.Resource)} has no local binding`);
    if (s.Type === 'Map') {
      const proc = s.ItemProcessor as
        { ProcessorConfig?: { Mode?: string }; StartAt: string; States: Record<string, State> } | undefined;
      if (!proc) out.push(`${at}: Map without ItemProcessor (Iterator is deprecated)`);
      if (proc?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        if ('Parameters' in s) out.push(`${at}: use ItemSelector, not Parameters, in a Distributed Map`);
        const reader = s.ItemReader as Record<string, Json> | undefined;
        if (reader) {
          if (reader.Resource !== 'arn:aws:states:::s3:getObject')
            out.push(`${at}: ItemReader ${String(reader.Resource)} is not supported locally (use s3:getObject)`);
          const type = (reader.ReaderConfig as Record<string, Json> | undefined)?.InputType;
          if (type !== 'JSON' && type !== 'JSONL')
            out.push(`${at}: ItemReader InputType ${String(type)} is not supported locally`);
        }
        const rw = s.ResultWriter as Record<string, Json> | undefined;
        if (rw && ('WriterConfig' in rw || rw.Resource !== 'arn:aws:states:::s3:putObject'))
          out.push(`${at}: ResultWriter must be s3:putObject without WriterConfig locally`);
        const intrinsic = JSON.stringify({
          r: s.ItemReader,
          i: s.ItemSelector,
          b: s.ItemBatcher,
          w: s.ResultWriter,
        }).includes('"States.');
        if (intrinsic) out.push(`${at}: intrinsic functions in Distributed Map fields are not evaluated locally`);
      }
      if (proc) out.push(...unsupportedFeatures({ StartAt: proc.StartAt, States: proc.States }, `${at} > `));
    }
    for (const k of ['Assign', 'Output', 'Arguments'])
      if (k in s) out.push(`${at}: ${k} (JSONata/variables) is not honoured locally`);
  }
  return out;
}
