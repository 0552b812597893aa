// The run lease (state/run-lease.json): at most one execution spends the account's Wistia request budget at a
// time. Each execution's maps assume the whole budget (docs/adr/0005); a second execution beside it (a Scheduler
// retry, a replay, a long backfill overlapping the next daily run) would spend it twice and collide on the rate
// limit. The plan takes the lease before its first request, with a conditional write (If-None-Match: * when
// there is none, If-Match over a lease whose holder no longer runs); the commit releases it (a conditional
// delete on the ETag the plan got). A run that fails never releases it: the next run takes it over once its
// holder is not RUNNING (failed, aborted, timed out, or a local runner that was killed).
// S3 conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
// (and deletes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html)
import { getJson, PreconditionFailedError, putJson, type ObjectStore } from '../store/store.ts';
import type { Deps, ExecutionStatus } from './deps.ts';
import { LEASE_KEY } from './keys.ts';

export interface LeaseHolder {
  /** $$.Execution.Id */
  readonly executionArn: string;
  /** $$.Execution.Name (the run id) */
  readonly executionName: string;
  /** $$.Execution.StartTime */
  readonly startedAt: string;
}

export interface RunLease {
  readonly version: 1;
  readonly holder: LeaseHolder;
  readonly acquiredAt: string;
  /** The holder this lease was taken over from, and the status it had then. */
  readonly takenOverFrom?: { readonly executionArn: string; readonly status: string; readonly acquiredAt: string };
}

/** What the plan hands on to the commit: where the lease is and the ETag it wrote. */
export interface LeaseRef {
  readonly key: string;
  readonly etag: string;
  readonly takenOverFrom?: RunLease['takenOverFrom'];
}

/**
 * Another execution holds the lease and is still running: this one stops before spending anything. Not retried
 * by the state machine (no Retry names it): the execution fails at once, having made no Wistia request.
 */
export class RunInProgressError extends Error {
  override name = 'RunInProgressError';
}

/**
 * DescribeExecution is eventually consistent, and PENDING_REDRIVE is an execution about to run again: both
 * count as running (the stricter reading: refuse rather than run twice).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
const RUNS: ReadonlySet<ExecutionStatus> = new Set(['RUNNING', 'PENDING_REDRIVE']);

function isLease(v: unknown): v is RunLease {
  const h = (v as { holder?: Partial<LeaseHolder> } | null)?.holder;
  return typeof h?.executionArn === 'string' && typeof h.executionName === 'string';
}

async function readLease(store: ObjectStore): Promise<{ value: RunLease; etag: string } | undefined> {
  const r = await getJson<unknown>(store, LEASE_KEY);
  if (!r) return undefined;
  if (!isLease(r.value))
    throw new Error(
      `${LEASE_KEY} is not a run lease (no holder.executionArn): delete it only if no execution is running`,
    );
  return { value: r.value, etag: r.etag };
}

/**
 * Takes the run lease for `holder`, or throws RunInProgressError naming the execution that holds it. Idempotent
 * for the holder (a retried plan finds its own lease and keeps it).
 */
export async function acquireLease(
  deps: Pick<Deps, 'store' | 'now' | 'executionStatus'>,
  holder: LeaseHolder,
): Promise<LeaseRef> {
  const { store } = deps;
  // A conditional write that loses to another execution's means the lease changed hands: look again (the winner
  // then runs, and this one is refused).
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await readLease(store);
    const lease: RunLease = { version: 1, holder, acquiredAt: deps.now().toISOString() };
    try {
      if (!current)
        return { key: LEASE_KEY, etag: (await putJson(store, LEASE_KEY, lease, { ifNoneMatch: '*' })).etag };
      const held = current.value;
      if (held.holder.executionArn === holder.executionArn) return { key: LEASE_KEY, etag: current.etag };
      const status = await deps.executionStatus(held.holder.executionArn);
      if (status !== undefined && RUNS.has(status))
        throw new RunInProgressError(
          `execution "${held.holder.executionName}" (${held.holder.executionArn}) is ${status} and holds the run lease ` +
            `${LEASE_KEY} since ${held.acquiredAt}: this execution stopped before making any Wistia request, so the ` +
            `account's request budget is not spent twice. Start it again once that one has ended.`,
        );
      const takenOverFrom = {
        executionArn: held.holder.executionArn,
        status: status ?? 'DOES_NOT_EXIST',
        acquiredAt: held.acquiredAt,
      };
      const { etag } = await putJson(store, LEASE_KEY, { ...lease, takenOverFrom }, { ifMatch: current.etag });
      return { key: LEASE_KEY, etag, takenOverFrom };
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
  }
  const now = await readLease(store);
  throw new RunInProgressError(
    `the run lease ${LEASE_KEY} kept changing hands while this execution tried to take it` +
      (now ? ` (now held by "${now.value.holder.executionName}")` : '') +
      ': this execution stopped before making any Wistia request',
  );
}

/**
 * Releases the lease if `holderArn` still holds it: a conditional delete on the ETag the plan wrote (or on the
 * current one, should the holder have rewritten it). A lease someone else holds is left alone.
 */
export async function releaseLease(
  store: ObjectStore,
  holderArn: string,
  ref: Pick<LeaseRef, 'etag'> | undefined,
): Promise<'released' | 'absent' | 'held by another execution'> {
  if (ref) {
    try {
      await store.delete(LEASE_KEY, { ifMatch: ref.etag });
      return 'released';
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
  }
  const current = await readLease(store);
  if (!current) return 'absent';
  if (current.value.holder.executionArn !== holderArn) return 'held by another execution';
  try {
    await store.delete(LEASE_KEY, { ifMatch: current.etag });
    return 'released';
  } catch (e) {
    if (e instanceof PreconditionFailedError) return 'held by another execution';
    throw e;
  }
}
