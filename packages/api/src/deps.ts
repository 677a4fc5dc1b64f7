/**
 * What the API needs, passed in by the app that serves it (edge or central).
 * Nothing here is a module singleton: two apps in one process share nothing.
 */
import type {
  AppointmentService,
  ConflictService,
  DirectoryService,
  NodeRecord,
  NotificationService,
  Page,
  PageRequest,
  Store,
  SyncStatus,
} from '@clinic/core';
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

/**
 * Login throttling (packages/auth implements it). `reserve` counts the attempt BEFORE the
 * password is checked, atomically, and throws DomainError RateLimited while the username
 * or the address must wait; `succeeded()` gives the attempt back when the password was right.
 */
export interface LoginLimiterPort {
  reserve(username: string, address: string): Promise<{ succeeded(): Promise<void> }>;
}

/** A node as central's nodes API shows it. */
export type NodeView = NodeRecord;

/** Central only: enrollment and health of clinic nodes. */
export interface NodesPort {
  enroll(input: { name: string; facilities: string[] }): Promise<{
    id: string;
    name: string;
    facilities: string[];
    token: string;
    created_at: number;
  }>;
  list(page: PageRequest): Promise<Page<NodeView>>;
  get(id: string): Promise<NodeView>;
  revoke(id: string): Promise<void>;
}

export type SyncStatusView = SyncStatus;

/** Edge only: the node's sync engine. `run` throws DomainError Unavailable when offline. */
export interface SyncPort {
  status(): Promise<SyncStatusView>;
  run(): Promise<SyncStatusView>;
}

export interface ApiDeps {
  appointments: AppointmentService;
  conflicts: ConflictService;
  notifications: NotificationService;
  /** Central only. */
  nodes?: NodesPort;
  /** Edge only. */
  sync?: SyncPort;
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
