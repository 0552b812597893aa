// Named errors of the Wistia client. The state machine's Retry/Catch match on `name` (Lambda reports a
// thrown error's name as the Step Functions error), so names are part of the contract: never rename one.
// No error ever carries the token, a request's headers or the raw HTTP library error.

export interface WistiaErrorDetails {
  /** Endpoint template, e.g. "GET /stats/events". */
  readonly endpoint?: string;
  /** The request URL without credentials. */
  readonly url?: string;
  readonly status?: number;
  readonly attempts?: number;
}

export class WistiaError extends Error {
  override name = 'WistiaError';
  readonly endpoint: string | undefined;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly attempts: number | undefined;
  constructor(message: string, details: WistiaErrorDetails = {}) {
    super(message);
    this.endpoint = details.endpoint;
    this.url = details.url;
    this.status = details.status;
    this.attempts = details.attempts;
  }
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      endpoint: this.endpoint,
      url: this.url,
      status: this.status,
      attempts: this.attempts,
    };
  }
}

/** 401/403: the token is missing, wrong, revoked or lacks a permission. Never retried. */
export class WistiaAuthError extends WistiaError {
  override name = 'WistiaAuthError';
}
/** 404: the media, visitor or event does not exist (or not in this account). */
export class WistiaNotFoundError extends WistiaError {
  override name = 'WistiaNotFoundError';
}
/** 400/422: the request was invalid (e.g. a bad date). Never retried. */
export class WistiaRequestError extends WistiaError {
  override name = 'WistiaRequestError';
}
/** 429 (or the legacy 503 + Retry-After) still answered after every retry the budget allowed. */
export class WistiaRateLimitError extends WistiaError {
  override name = 'WistiaRateLimitError';
}
/** 5xx, connection resets, timeouts and truncated bodies still failing after every retry. */
export class WistiaTransientError extends WistiaError {
  override name = 'WistiaTransientError';
}
/** A 200 body that is not what the endpoint returns: names the endpoint and the field. Not retried. */
export class WistiaSchemaError extends WistiaError {
  override name = 'WistiaSchemaError';
  readonly field: string;
  constructor(message: string, field: string, details: WistiaErrorDetails = {}) {
    super(message, details);
    this.field = field;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field };
  }
}
/** Bad configuration (missing token, malformed base URL, unresolvable host): stops before any work. */
export class WistiaConfigError extends WistiaError {
  override name = 'WistiaConfigError';
}

/** The error names the state machine retries (transient) and those it must not. */
export const RETRYABLE_ERRORS = ['WistiaTransientError', 'WistiaRateLimitError'] as const;
export const FATAL_ERRORS = [
  'WistiaAuthError',
  'WistiaConfigError',
  'WistiaSchemaError',
  'WistiaRequestError',
] as const;
