import type { ClientErrorCode, ErrorCode, ErrorDetails } from "./types.js";

/** What every `IdentityOSError` is built from. */
export interface ErrorInit {
  /** HTTP status (0 when no answer was received). */
  status: number;
  /** The envelope's `error` code (`invalid_request`, `not_found`, …), or the SDK's own when there is none. */
  code: ErrorCode | ClientErrorCode;
  message: string;
  details?: ErrorDetails | null;
  /** The answer's `X-Request-Id`. */
  requestId?: string | null;
  /** Seconds to wait: the envelope's `retry_after`, else the `Retry-After` header. */
  retryAfter?: number | null;
  /** The decoded error body as the server sent it (wire form), if any. */
  body?: unknown;
  cause?: unknown;
}

/** Base of every error the SDK throws for a failed call. */
export class IdentityOSError extends Error {
  override name = "IdentityOSError";
  readonly status: number;
  readonly code: ErrorCode | ClientErrorCode;
  readonly details: ErrorDetails | null;
  readonly requestId: string | null;
  readonly retryAfter: number | null;
  readonly body: unknown;

  constructor(init: ErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? null;
    this.requestId = init.requestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.body = init.body;
  }
}

/** 400 `invalid_request`: `details.field` names the field at fault (wire name). */
export class BadRequestError extends IdentityOSError {
  override name = "BadRequestError";
}

/** 401 `unauthorized`: no, invalid or revoked API key. */
export class AuthenticationError extends IdentityOSError {
  override name = "AuthenticationError";
}

/** 404 `not_found`: unknown id, another account's id, a deleted instance. */
export class NotFoundError extends IdentityOSError {
  override name = "NotFoundError";
}

/** 409 `conflict`: state mismatch; `details.reason` says which (`instance_stopped`, …). */
export class ConflictError extends IdentityOSError {
  override name = "ConflictError";
}

/** 429 `rate_limit_exceeded` or `quota_exceeded`: wait `retryAfter` seconds. */
export class RateLimitError extends IdentityOSError {
  override name = "RateLimitError";
}

/** 503 `unavailable`: storage unreachable or the server shutting down; `retryAfter` from `Retry-After`. */
export class ServiceUnavailableError extends IdentityOSError {
  override name = "ServiceUnavailableError";
}

/** No answer: the connection failed or the call timed out (`code` `connection_error` or `timeout`). */
export class ConnectionError extends IdentityOSError {
  override name = "ConnectionError";
}

const byStatus: Record<number, new (init: ErrorInit) => IdentityOSError> = {
  400: BadRequestError,
  401: AuthenticationError,
  404: NotFoundError,
  409: ConflictError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

/** The error for an HTTP status: the subclass above, else `IdentityOSError` itself. */
export function errorFor(init: ErrorInit): IdentityOSError {
  const Cls = byStatus[init.status] ?? IdentityOSError;
  return new Cls(init);
}
