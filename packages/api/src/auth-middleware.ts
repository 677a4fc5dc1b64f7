/**
 * Authentication and role checks. A request is authenticated by its Bearer token or, for
 * the web UI, by the session cookie (then unsafe methods also need the CSRF token; see
 * session.ts). The user is re-read on every request, so a deactivated account loses
 * access at once, and its role is the stored one.
 */
import { DomainError, ErrorCode, type Role } from '@clinic/domain';
import { createMiddleware } from 'hono/factory';
import type { ApiDeps } from './deps';
import type { AppEnv } from './env';
import { MESSAGES } from './http-errors';
import { CSRF_FAILED, csrfMatches, isSafeMethod, readCookie, sessionCookieNames } from './session';

export function authenticate(deps: Pick<ApiDeps, 'tokens' | 'directory' | 'node'>) {
  const cookies = sessionCookieNames(deps.node.id);
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization');
    let token: string;
    // A Bearer header decides alone. Any other scheme (e.g. Basic added by a proxy in
    // front of the node) leaves the session cookie to decide.
    if (header && /^Bearer\b/i.test(header)) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) throw new DomainError(ErrorCode.NotAuthenticated, MESSAGES.invalidToken);
      token = match[1];
    } else {
      const cookie = readCookie(c, cookies.access);
      if (!cookie) throw new DomainError(ErrorCode.NotAuthenticated, MESSAGES.notAuthenticated);
      if (!isSafeMethod(c.req.method) && !csrfMatches(c, cookies)) {
        throw new DomainError(ErrorCode.PermissionDenied, CSRF_FAILED);
      }
      token = cookie;
    }
    const claims = await deps.tokens.verify(token, 'access');
    const user = await deps.directory.users.findById(claims.sub);
    if (!user || !user.is_active) {
      throw new DomainError(ErrorCode.NotAuthenticated, MESSAGES.invalidToken);
    }
    c.set('actor', { userId: user.id, role: user.role });
    await next();
  });
}

export function requireRole(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!roles.includes(c.get('actor').role)) {
      throw new DomainError(ErrorCode.PermissionDenied, MESSAGES.permissionDenied);
    }
    await next();
  });
}

/** Roles that run the clinic's calendar: the spec's "admin and provider". */
export const STAFF: Role[] = ['admin', 'provider'];
