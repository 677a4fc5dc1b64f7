/**
 * Error codes of the domain, and the one error type that carries them.
 *
 * Domain code never knows HTTP: the API maps each code to a status and to the
 * spec's JSON shapes in one place (`packages/api/src/http-errors.ts`).
 */

/** Stable error codes, grouped by area. Never rename one: clients and logs depend on them. */
export const ErrorCode = {
  /** Input failed validation; `details` holds `{field: [messages]}`. */
  ValidationFailed: 'validation.failed',
  /** The booking overlaps others; `details` holds one message per conflicting dimension. */
  AppointmentConflict: 'appointment.conflict',
  /** A status change that the status machine does not allow (e.g. completed -> cancelled). */
  InvalidTransition: 'appointment.invalid_transition',
  /** The addressed resource does not exist (or is deleted). */
  NotFound: 'resource.not_found',
  /** A unique value (username, patient_id) is already taken; `details` names the field. */
  Duplicate: 'resource.duplicate',
  /** No credentials, or credentials that are not valid. */
  NotAuthenticated: 'auth.not_authenticated',
  /** Username/password pair is wrong. */
  InvalidCredentials: 'auth.invalid_credentials',
  /** The caller's role may not do this. */
  PermissionDenied: 'auth.permission_denied',
  /** Too many attempts; `details.retry_after_seconds` says when to come back. */
  RateLimited: 'auth.rate_limited',
  /** A service this request needs (central, for a node) cannot be reached now. */
  Unavailable: 'service.unavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Field name -> human-readable messages, the shape DRF uses for 400 bodies. */
export type FieldErrors = Record<string, string[]>;

/** The one error type thrown by domain and application code. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: FieldErrors | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: FieldErrors; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function validationError(details: FieldErrors): DomainError {
  return new DomainError(ErrorCode.ValidationFailed, 'Validation failed.', { details });
}

export function notFound(what = 'Not found.'): DomainError {
  return new DomainError(ErrorCode.NotFound, what);
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** Adds `message` under `field`, creating the list when needed. */
export function addFieldError(errors: FieldErrors, field: string, message: string): void {
  (errors[field] ??= []).push(message);
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.keys(errors).length > 0;
}
