// Logger and tracer, created once and imported everywhere (Powertools' own convention), with one twist: `logger`
// resolves to the current invocation's child logger, which carries the invocation's correlation ids
// (execution, item) and Lambda context on every line (issue 14). In Lambda one invocation runs at a time per
// container; the local twin runs many map items concurrently in one process, so keys appended to one shared
// logger would leak between items: each invocation gets a child logger in an AsyncLocalStorage scope instead.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

const base = new Logger({ serviceName: 'wistia-pipeline' });
const current = new AsyncLocalStorage<Logger>();

/** Runs `fn` with `child` as the logger every module's `logger` resolves to. */
export function withLogger<T>(child: Logger, fn: () => Promise<T>): Promise<T> {
  return current.run(child, fn);
}

/** A child of the base logger with these persistent keys (pipeline/lambda.ts `wrap`). */
export function childLogger(keys: Record<string, string>): Logger {
  return base.createChild({ persistentKeys: keys });
}

export const logger: Logger = new Proxy(base, {
  get(target, prop) {
    const l = current.getStore() ?? target;
    const v = Reflect.get(l, prop, l) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(l) : v;
  },
});
export const tracer = new Tracer({ serviceName: 'wistia-pipeline' });

/** The Wistia client's logger interface over Powertools' logger. */
export const clientLogger = {
  debug: (message: string, extra?: Record<string, unknown>) =>
    extra ? logger.debug(message, extra) : logger.debug(message),
  info: (message: string, extra?: Record<string, unknown>) =>
    extra ? logger.info(message, extra) : logger.info(message),
  warn: (message: string, extra?: Record<string, unknown>) =>
    extra ? logger.warn(message, extra) : logger.warn(message),
};
