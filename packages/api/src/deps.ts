/**
 * What the API needs, passed in by the app that serves it (edge or central).
 * Nothing here is a module singleton: two apps in one process share nothing.
 */
import type { AppointmentService, DirectoryService, Store } from '@clinic/core';
import type { Clock, Role } from '@clinic/domain';
import type { Context } from 'hono';
import type { Logger } from './logger';

export interface TokenClaims {
  sub: string;
  role: Role;
  username: string;
}

/** Token issuing and checking (packages/auth implements it with jose). */
export interface TokenPort {
  issue(user: {
    id: string;
    role: Role;
    username: string;
  }): Promise<{ access: string; refresh: string }>;
  refresh(refreshToken: string): Promise<{ access: string }>;
  verify(token: string, typ: 'access' | 'refresh'): Promise<TokenClaims>;
  jwks(): { keys: object[] };
}

export interface PasswordPort {
  hash(plain: string): Promise<string>;
  verify(plain: string, encoded: string): Promise<boolean>;
  /** A hash to verify against when the user does not exist, so timing reveals nothing. */
  dummyHash: string;
}

export interface LoginLimiterPort {
  check(username: string, address: string): void;
  recordFailure(username: string, address: string): void;
  recordSuccess(username: string, address: string): void;
}

export interface ApiDeps {
  appointments: AppointmentService;
  directory: DirectoryService;
  store: Pick<Store, 'ping' | 'kind'>;
  tokens: TokenPort;
  passwords: PasswordPort;
  loginLimiter: LoginLimiterPort;
  clock: Clock;
  logger: Logger;
  node: { role: 'edge' | 'central'; id: string; version: string };
  /** The caller's network address, for rate limiting (the server adapter knows it). */
  clientAddress?: (c: Context) => string;
}
