// Step Functions' payload quota, held locally so that a definition that would break it in AWS breaks here first.
//
// https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: the input or output of a task, a
// state or an execution is at most 256 KiB of data as a UTF-8 encoded string. The history events carry the same
// limit, in UTF-8 bytes: StateEnteredEventDetails.input, StateExitedEventDetails.output and
// TaskScheduledEventDetails.parameters have a maximum length of 262144
// (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html,
// .../API_StateExitedEventDetails.html, .../API_TaskScheduledEventDetails.html).
//
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: States.DataLimitExceeded is
// reported when a connector's output is larger than the quota, when a state's output is, and when a state's input
// is after Parameters processing; it is "a terminal error that can't be caught by the States.ALL error type".
// Emulated exactly so: a Catch that names States.DataLimitExceeded catches it, States.ALL never does. The docs
// are silent on States.TaskFailed and on Retry [unconfirmed]: the stricter choice, neither retries nor catches it.
// A state's output or input over the quota (checked as the state ends or is entered) fails the execution at once,
// whatever the state's Catch [unconfirmed whether a catcher naming the error applies there: the stricter choice].
import type { StateMachine } from 'aws-local-stepfunctions';
import type { Json, State } from './asl.ts';

export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/** An error the local interpreter (aws-local-stepfunctions) neither retries nor, unless allowed, catches. */
export class TerminalError extends Error {
  readonly isRetryable = false;
  constructor(
    name: string,
    message: string,
    readonly isCatchable = false,
  ) {
    super(message);
    this.name = name;
  }
}

/**
 * Whether a Catch of `state` catches States.DataLimitExceeded as AWS documents it: a catcher that names it, met
 * before any catcher the local interpreter would match first (States.TaskFailed; States.ALL must come last).
 */
export function catchesDataLimit(state: State | undefined): boolean {
  const catchers = (state?.Catch as { ErrorEquals?: Json[] }[] | undefined) ?? [];
  for (const c of catchers) {
    const names = c.ErrorEquals ?? [];
    if (names.includes('States.DataLimitExceeded')) return true;
    if (names.includes('States.TaskFailed') || names.includes('States.ALL')) return false;
  }
  return false;
}

/** Throws States.DataLimitExceeded when `value` is over the payload quota. `what` names it in the cause. */
export function checkPayload(value: unknown, what: string, state?: State): void {
  const bytes = payloadBytes(value);
  if (bytes <= PAYLOAD_LIMIT_BYTES) return;
  throw new TerminalError(
    'States.DataLimitExceeded',
    `${what} has a size exceeding the maximum number of bytes service limit: ${bytes} bytes of UTF-8 JSON > ` +
      `${PAYLOAD_LIMIT_BYTES} (256 KiB, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). ` +
      'Keep large data in S3 and pass its key.',
    catchesDataLimit(state),
  );
}

interface EventLoggerLike {
  dispatchStateEnteredEvent(name: string, type: string, input: unknown): void;
  dispatchStateExitedEvent(name: string, type: string, input: unknown, output: unknown): void;
  dispatchStateFailedEvent(name: string, type: string, input: unknown, error: Error): void;
}

/**
 * Holds every state's input (as it is entered) and output (as it ends) to the payload quota: over it, the
 * execution fails with States.DataLimitExceeded before the next state starts, past any Catch. aws-local-stepfunctions
 * 3.0 has no hook for this: its run loop (StateMachine#execute, private) reports each state's input and output
 * through the event logger it is given, synchronously and inside the loop's try, so a check there fails the
 * execution as an uncaught state error does. Pinned to that version (package.json): if it changes shape, this
 * refuses to run rather than run unguarded.
 */
export function guardStatePayloads(sm: StateMachine): void {
  type Execute = (input: unknown, options: { eventLogger?: Partial<EventLoggerLike> }, cleanup: () => void) => unknown;
  const target = sm as unknown as { execute?: Execute };
  const original = target.execute;
  const unguarded =
    'aws-local-stepfunctions changed (StateMachine#execute and its event logger): the runner cannot hold states to the payload quota';
  if (typeof original !== 'function') throw new Error(unguarded);
  target.execute = function (this: unknown, input, options, cleanup) {
    const logger = options.eventLogger;
    if (
      typeof logger?.dispatchStateEnteredEvent !== 'function' ||
      typeof logger.dispatchStateExitedEvent !== 'function' ||
      typeof logger.dispatchStateFailedEvent !== 'function'
    )
      throw new Error(unguarded);
    const l = logger as EventLoggerLike;
    const entered = l.dispatchStateEnteredEvent.bind(l);
    const exited = l.dispatchStateExitedEvent.bind(l);
    const check = (name: string, type: string, stateInput: unknown, value: unknown, what: string) => {
      try {
        checkPayload(value, what);
      } catch (e) {
        l.dispatchStateFailedEvent(name, type, stateInput, e as Error);
        throw e;
      }
    };
    l.dispatchStateEnteredEvent = (name, type, stateInput) => {
      entered(name, type, stateInput);
      check(name, type, stateInput, stateInput, `the input of state "${name}"`);
    };
    l.dispatchStateExitedEvent = (name, type, stateInput, output) => {
      check(name, type, stateInput, output, `the output of state "${name}"`);
      exited(name, type, stateInput, output);
    };
    return original.call(this, input, options, cleanup);
  };
}
