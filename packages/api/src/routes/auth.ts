/**
 * /api/v1/auth: obtain and refresh JWTs (the simplejwt shapes), and the public keys
 * that verify them. Login is rate-limited per username and per address.
 */
import { DomainError, ErrorCode } from '@clinic/domain';
import { Hono } from 'hono';
import { z } from 'zod';
import { accessToken, refreshRequest, tokenPair, tokenRequest } from '../contracts/auth';
import { detailBody } from '../contracts/common';
import type { ApiDeps } from '../deps';
import type { AppEnv } from '../env';
import { MESSAGES } from '../http-errors';
import type { ApiDocs } from '../openapi';
import { validate } from '../validation';

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
  app.post('/token', validate('json', tokenRequest), async (c) => {
    const { username, password } = c.req.valid('json');
    const from = address(c);
    loginLimiter.check(username, from);
    const user = await directory.users.findByUsername(username);
    const ok = await passwords.verify(password, user?.password_hash ?? passwords.dummyHash);
    if (!user || !ok || !user.is_active) {
      loginLimiter.recordFailure(username, from);
      throw new DomainError(ErrorCode.InvalidCredentials, MESSAGES.invalidCredentials);
    }
    loginLimiter.recordSuccess(username, from);
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

  return app;
}
