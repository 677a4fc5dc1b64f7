/**
 * /api/v1/auth: obtain and refresh JWTs (the simplejwt shapes), and the public keys
 * that verify them. Login is rate-limited per username and per address.
 */
import { DomainError, ErrorCode } from '@clinic/domain';
import { Hono } from 'hono';
import { z } from 'zod';
import {
  accessToken,
  refreshRequest,
  sessionOut,
  tokenPair,
  tokenRequest,
} from '../contracts/auth';
import { detailBody } from '../contracts/common';
import type { ApiDeps } from '../deps';
import type { AppEnv } from '../env';
import { MESSAGES } from '../http-errors';
import type { ApiDocs } from '../openapi';
import { validate } from '../validation';
import {
  clearSessionCookies,
  CSRF_FAILED,
  csrfMatches,
  newCsrfToken,
  readCookie,
  sessionCookieNames,
  setAccessCookie,
  setSessionCookies,
  type SessionLifetimes,
} from '../session';
import type { User } from '@clinic/domain';
import type { Context } from 'hono';

/** Seconds until a JWT's `exp` (its payload is read, not verified: we just issued it). */
function secondsLeft(jwt: string, nowMs: number): number {
  const payload = jwt.split('.')[1] ?? '';
  const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: number })
    .exp;
  return Math.max(0, Math.floor((exp ?? 0) - nowMs / 1000));
}

export function authRoutes(deps: ApiDeps, docs: ApiDocs) {
  const { tokens, passwords, loginLimiter, directory } = deps;
  const address = deps.clientAddress ?? (() => 'unknown');
  const app = new Hono<AppEnv>();

  docs.add({
    method: 'post',
    path: '/api/v1/auth/token',
    tag: 'auth',
    auth: false,
    summary: 'Exchange username and password for an access and a refresh token',
    body: tokenRequest,
    responses: {
      200: { description: 'Tokens', schema: tokenPair },
      401: { description: 'Wrong credentials', schema: detailBody },
      429: { description: 'Too many attempts', schema: detailBody },
    },
  });
  /**
   * Checks credentials; the user, or a 401. The attempt is reserved with the limiter
   * before the password is checked (so parallel guesses cannot outrun it), and every
   * failure costs one password check whatever its cause: an unknown user, one without a
   * password, an inactive one or a wrong password all take the same time.
   */
  async function login(c: Context, username: string, password: string): Promise<User> {
    const attempt = await loginLimiter.reserve(username, address(c));
    const user = await directory.users.findByUsername(username);
    const ok = await passwords.verify(password, user?.password_hash || passwords.dummyHash);
    if (!user || !ok || !user.is_active) {
      throw new DomainError(ErrorCode.InvalidCredentials, MESSAGES.invalidCredentials);
    }
    await attempt.succeeded();
    return user;
  }

  app.post('/token', validate('json', tokenRequest), async (c) => {
    const { username, password } = c.req.valid('json');
    const user = await login(c, username, password);
    return c.json(await tokens.issue({ id: user.id, role: user.role, username: user.username }));
  });

  docs.add({
    method: 'post',
    path: '/api/v1/auth/token/refresh',
    tag: 'auth',
    auth: false,
    summary: 'Exchange a refresh token for a new access token',
    body: refreshRequest,
    responses: {
      200: { description: 'A new access token', schema: accessToken },
      401: { description: 'Invalid or expired refresh token', schema: detailBody },
    },
  });
  app.post('/token/refresh', validate('json', refreshRequest), async (c) => {
    const { refresh } = c.req.valid('json');
    const claims = await tokens.verify(refresh, 'refresh');
    const user = await directory.users.findById(claims.sub);
    if (!user || !user.is_active) {
      throw new DomainError(ErrorCode.NotAuthenticated, MESSAGES.invalidToken);
    }
    return c.json(await tokens.refresh(refresh));
  });

  docs.add({
    method: 'get',
    path: '/api/v1/auth/jwks',
    tag: 'auth',
    auth: false,
    summary: "Public keys (JWKS) that verify this node's tokens",
    responses: {
      200: {
        description: 'JWKS',
        schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
      },
    },
  });
  app.get('/jwks', (c) => c.json(tokens.jwks()));

  // Web UI sessions (session.ts): the same tokens, in HttpOnly cookies.
  const cookies = sessionCookieNames(deps.node.id);
  const sessionBody = (user: User, csrf: string) => ({
    user: {
      id: user.id,
      username: user.username,
      role: user.role,
      user_type: user.user_type,
      first_name: user.first_name,
      last_name: user.last_name,
      facilities: user.facilities,
    },
    csrf_token: csrf,
    node: { role: deps.node.role, id: deps.node.id },
  });
  const lifetimes = (pair: { access: string; refresh?: string }): SessionLifetimes => {
    const now = deps.clock.now();
    return {
      accessSeconds: secondsLeft(pair.access, now),
      refreshSeconds: pair.refresh ? secondsLeft(pair.refresh, now) : 0,
    };
  };

  docs.add({
    method: 'post',
    path: '/api/v1/auth/session',
    tag: 'auth',
    auth: false,
    summary: 'Log in the web UI: sets HttpOnly session cookies, answers the CSRF token',
    body: tokenRequest,
    responses: {
      200: { description: 'Logged in', schema: sessionOut },
      401: { description: 'Wrong credentials', schema: detailBody },
      429: { description: 'Too many attempts', schema: detailBody },
    },
  });
  app.post('/session', validate('json', tokenRequest), async (c) => {
    const { username, password } = c.req.valid('json');
    const user = await login(c, username, password);
    const pair = await tokens.issue({ id: user.id, role: user.role, username: user.username });
    const csrf = newCsrfToken();
    setSessionCookies(c, cookies, { ...pair, csrf }, lifetimes(pair));
    c.header('Cache-Control', 'no-store');
    return c.json(sessionBody(user, csrf));
  });

  docs.add({
    method: 'get',
    path: '/api/v1/auth/session',
    tag: 'auth',
    auth: false,
    summary: 'The current web session; renews the access cookie from the refresh cookie',
    responses: {
      200: { description: 'The session', schema: sessionOut },
      204: { description: 'No session cookies: not logged in' },
      401: { description: 'Not logged in, or the session expired', schema: detailBody },
    },
  });
  app.get('/session', async (c) => {
    c.header('Cache-Control', 'no-store');
    const csrf = readCookie(c, cookies.csrf);
    const access = readCookie(c, cookies.access);
    // No session at all is not an error: the page asks this on every load.
    if (!csrf && !access && !readCookie(c, cookies.refresh)) return c.body(null, 204);
    if (!csrf) throw new DomainError(ErrorCode.NotAuthenticated, MESSAGES.notAuthenticated);
    const fromAccess = access
      ? await tokens.verify(access, 'access').then(
          (claims) => claims.sub,
          () => undefined,
        )
      : undefined;
    // Without a valid access cookie, the refresh cookie must carry the session.
    const refresh = fromAccess ? undefined : readCookie(c, cookies.refresh);
    if (!fromAccess && !refresh) {
      throw new DomainError(ErrorCode.NotAuthenticated, MESSAGES.notAuthenticated);
    }
    const userId = fromAccess ?? (await tokens.verify(refresh!, 'refresh')).sub;
    const user = await directory.users.findById(userId);
    if (!user || !user.is_active) {
      clearSessionCookies(c, cookies);
      throw new DomainError(ErrorCode.NotAuthenticated, MESSAGES.invalidToken);
    }
    if (refresh) {
      const renewed = await tokens.refresh(refresh);
      setAccessCookie(c, cookies, renewed.access, lifetimes(renewed));
    }
    return c.json(sessionBody(user, csrf));
  });

  docs.add({
    method: 'delete',
    path: '/api/v1/auth/session',
    tag: 'auth',
    auth: false,
    summary: 'Log out the web UI (needs X-CSRF-Token): clears the session cookies',
    responses: {
      204: { description: 'Logged out' },
      403: { description: 'CSRF token missing or wrong', schema: detailBody },
    },
  });
  app.delete('/session', (c) => {
    if (readCookie(c, cookies.csrf) && !csrfMatches(c, cookies)) {
      throw new DomainError(ErrorCode.PermissionDenied, CSRF_FAILED);
    }
    clearSessionCookies(c, cookies);
    return c.body(null, 204);
  });

  return app;
}
