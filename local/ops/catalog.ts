// The execution catalog: the one place that knows how executions are named and found in an object store (the
// local store under <data dir>/store, or the pipeline's S3 bucket): every runs/<execution>/ folder with its object
// count, its record (runs/<execution>/execution.json, written when the execution ends; its history is
// history.jsonl, read by history.ts), `latest` and `latest-failed`. status, replay, graph and the dashboard list
// and resolve executions through it; in AWS, local/ops/sfn.ts resolves them through Step Functions with the same
// name rule.
import { RUN_ID } from '#shared/pipeline/input.ts';
import type { ObjectStore } from '#shared/store/store.ts';
import { readExecutionRecord, type ExecutionRecord } from '../runner/executions.ts';

/**
 * An execution name: what the runner makes (daily-YYYY-MM-DD-xxxx) and what the handlers accept as a run id.
 * Step Functions allows 1-80 characters and none of whitespace, brackets, wildcards, `"#%\^|~`$&,;:/` or control
 * characters (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html); the
 * pipeline keeps to letters, digits, ".", "_" and "-" (it becomes an S3 key segment and a partition value).
 */
export const EXECUTION_NAME = RUN_ID;

/** An execution the store does not hold (or holds no history of): the message names it and where it looked. */
export class UnknownExecutionError extends Error {
  override name = 'UnknownExecutionError';
}

/** Checks an execution name from a user (CLI argument, URL) before it becomes a path or a key. */
export function checkExecutionName(name: string): string {
  if (!EXECUTION_NAME.test(name))
    throw new UnknownExecutionError(
      `"${name}" is not an execution name (letters, digits, ".", "_", "-", at most 80 characters)`,
    );
  return name;
}

/** Every execution folder under runs/ with the number of objects it holds, in key order. */
export async function executionFolders(store: ObjectStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const o of store.list('runs/')) {
    const name = o.key.split('/')[1];
    if (name && EXECUTION_NAME.test(name)) out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

export interface CatalogEntry {
  readonly name: string;
  readonly record: ExecutionRecord;
}

/** The ended executions (those with a record), the most recent start first (then by name, descending). */
export async function executionRecords(store: ObjectStore, names?: Iterable<string>): Promise<CatalogEntry[]> {
  const all = [...(names ?? (await executionFolders(store)).keys())];
  const found = await Promise.all(
    all.map(async (name) => {
      const record = await readExecutionRecord(store, name);
      return record ? { name, record } : undefined;
    }),
  );
  return found
    .filter((e): e is CatalogEntry => e !== undefined)
    .sort((a, b) => b.record.startDate.localeCompare(a.record.startDate) || (a.name < b.name ? 1 : -1));
}

/** Items that did not succeed in an execution's map runs (failed, aborted or never started). */
export function unfinishedItems(r: ExecutionRecord): number {
  return r.mapRuns.reduce((a, m) => a + m.counts.failed + m.counts.aborted + m.counts.pending, 0);
}

/**
 * Whether an execution has anything of its own to replay: it failed (except when the run lease refused it: it
 * never planned) or some of its map items did not succeed.
 */
export function needsReplay(r: ExecutionRecord): boolean {
  return (r.status === 'FAILED' && r.error !== 'RunInProgressError') || unfinishedItems(r) > 0;
}

/**
 * An ended execution by reference: `latest` (the most recent), `latest-failed` (the most recent that needs a
 * replay) or its name. An unknown one throws naming it, where it looked and the latest few.
 */
export async function findExecution(store: ObjectStore, ref: string, where: string): Promise<CatalogEntry> {
  if (ref !== 'latest' && ref !== 'latest-failed') checkExecutionName(ref);
  const all = await executionRecords(store);
  const hit = ref === 'latest' ? all[0] : ref === 'latest-failed' ? all.find((e) => needsReplay(e.record)) : undefined;
  const named = ref === 'latest' || ref === 'latest-failed' ? hit : all.find((e) => e.name === ref);
  if (named) return named;
  const recent = all
    .slice(0, 5)
    .map((e) => `  ${e.name}  ${e.record.status}  ${unfinishedItems(e.record)} items failed`);
  const what =
    ref === 'latest'
      ? 'no executions'
      : ref === 'latest-failed'
        ? 'no execution with failed items'
        : `no execution "${ref}"`;
  throw new UnknownExecutionError(
    `${what} in ${where}` +
      (recent.length
        ? `; the latest:\n${recent.join('\n')}`
        : ' (no executions at all: run `npx wistia-pipeline demo` first)'),
  );
}
