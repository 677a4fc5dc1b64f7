/**
 * Assembles one node (edge or central) around a store that the app opened: its
 * identity, signing keys, token service, login limiter, application services and
 * the HTTP app. Both apps call this; they differ only in the store they pass.
 */
import { createApp, type ApiDeps, type AppEnv, type Logger } from '@clinic/api';
import {
  cacheVerifiedTokens,
  createLoginRateLimiter,
  createTokenService,
  DUMMY_PASSWORD_HASH,
  hashPassword,
  loadOrCreateSigningKey,
  verifyPassword,
  type TokenServiceOptions,
} from '@clinic/auth';
import {
  createAppointmentService,
  createConflictService,
  createDirectoryService,
  type ConflictService,
  type WriteHooks,
  type AppointmentService,
  type DirectoryService,
  type Store,
} from '@clinic/core';
import {
  createHybridClock,
  createUuidV7Generator,
  type Clock,
  type HybridClock,
  type IdGenerator,
} from '@clinic/domain';
import type { Hono } from 'hono';

export const systemClock: Clock = { now: () => Date.now() };

export interface NodeRuntimeOptions {
  role: 'edge' | 'central';
  store: Store;
  /** Where the node keeps its signing key (and, for the apps, its database). */
  dataDir: string;
  logger: Logger;
  version: string;
  clock?: Clock;
  /** Public keys of another issuer whose access tokens this node accepts (central's). */
  trustedKeys?: TokenServiceOptions['trustedKeys'];
  /** What the node does in the transaction of each write (see WriteHooks). */
  hooks?: (services: { conflicts: ConflictService }) => WriteHooks;
  /** The API's role-specific ports: nodes (central) or sync (edge). */
  ports?: Pick<ApiDeps, 'nodes' | 'sync'>;
}

export interface NodeRuntime {
  nodeId: string;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  hlc: HybridClock;
  appointments: AppointmentService;
  directory: DirectoryService;
  conflicts: ConflictService;
  tokens: { jwks(): { keys: object[] } };
  app: Hono<AppEnv>;
  deps: ApiDeps;
}

const NODE_ID_KEY = 'node_id';

/** The node's id, made once (UUIDv7) and kept in the store's metadata. */
async function nodeIdentity(store: Store, ids: IdGenerator): Promise<string> {
  const existing = await store.getMeta(NODE_ID_KEY);
  if (existing) return existing;
  const id = ids.next();
  await store.setMeta(NODE_ID_KEY, id);
  return id;
}

export async function createNodeRuntime(opts: NodeRuntimeOptions): Promise<NodeRuntime> {
  const clock = opts.clock ?? systemClock;
  const ids = createUuidV7Generator(clock);
  const nodeId = await nodeIdentity(opts.store, ids);
  const signingKey = await loadOrCreateSigningKey(opts.dataDir);
  const tokens = cacheVerifiedTokens(
    createTokenService({
      signingKey,
      clock,
      issuer: `clinic:${opts.role}:${nodeId}`,
      ...(opts.trustedKeys ? { trustedKeys: opts.trustedKeys } : {}),
    }),
    clock,
  );
  const hlc = createHybridClock(clock, nodeId);
  const base = { store: opts.store, clock, ids, nodeId, hlc };
  const conflicts = createConflictService(base);
  const hooks = opts.hooks?.({ conflicts });
  const core = hooks ? { ...base, hooks } : base;
  const appointments = createAppointmentService(core);
  const directory = createDirectoryService(core);
  const deps: ApiDeps = {
    ...opts.ports,
    appointments,
    conflicts,
    directory,
    store: opts.store,
    // The API answers refresh with {access} only: the claims stay on the server.
    tokens: {
      ...tokens,
      refresh: async (token) => ({ access: (await tokens.refresh(token)).access }),
    },
    passwords: { hash: hashPassword, verify: verifyPassword, dummyHash: DUMMY_PASSWORD_HASH },
    loginLimiter: createLoginRateLimiter({ clock }),
    clock,
    logger: opts.logger,
    node: { role: opts.role, id: nodeId, version: opts.version },
    clientAddress: (c) => {
      const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
        ?.incoming;
      return incoming?.socket?.remoteAddress ?? 'unknown';
    },
  };
  const { app } = createApp(deps);
  return {
    nodeId,
    store: opts.store,
    clock,
    ids,
    hlc,
    appointments,
    directory,
    conflicts,
    tokens,
    app,
    deps,
  };
}
