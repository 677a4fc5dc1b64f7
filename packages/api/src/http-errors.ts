/**
 * The one place where errors become HTTP: DomainError codes map to statuses and to the
 * DRF-style bodies of the spec ({field: [messages]} or {detail: ...}). Anything else is
 * a 500 that says only "internal error" and is logged with redaction.
 */
import { DomainError, ErrorCode } from '@clinic/domain';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from './logger';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.AppointmentConflict]: 400,
  [ErrorCode.InvalidTransition]: 400,
  [ErrorCode.Duplicate]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.NotAuthenticated]: 401,
  [ErrorCode.InvalidCredentials]: 401,
  [ErrorCode.PermissionDenied]: 403,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Unavailable]: 503,
};

export const MESSAGES = {
  notAuthenticated: 'Authentication credentials were not provided.',
  invalidToken: 'Given token not valid for any token type',
  invalidCredentials: 'No active account found with the given credentials',
  permissionDenied: 'You do not have permission to perform this action.',
  notFound: 'Not found.',
  internal: 'internal error',
  tooLarge: 'Request body is too large (the limit is 1 MB).',
} as const;

export function domainErrorResponse(c: Context, err: DomainError): Response {
  const status = STATUS[err.code];
  if (err.code === ErrorCode.RateLimited) {
    const wait = err.retryAfterSeconds ?? 60;
    c.header('Retry-After', String(wait));
    return c.json({ detail: `Request was throttled. Expected available in ${wait} seconds.` }, 429);
  }
  if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="api"');
  if (err.details && status === 400) return c.json(err.details, 400);
  return c.json({ detail: err.message }, status);
}

/** `app.onError` handler. */
export function createErrorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof DomainError) return domainErrorResponse(c, err);
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      return c.json({ detail: err.message || 'Bad request.' }, status);
    }
    logger.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json({ detail: MESSAGES.internal }, 500);
  };
}
