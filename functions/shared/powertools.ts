// Logger and tracer, created once and imported everywhere (Powertools' own convention).
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const logger = new Logger({ serviceName: 'wistia-pipeline' });
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
