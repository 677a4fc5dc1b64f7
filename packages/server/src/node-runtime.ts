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
} from '@clinic/auth';
import {
  createAppointmentService,
  createDirectoryService,
  type AppointmentService,
  type DirectoryService,
  type Store,
} from '@clinic/core';
import { createUuidV7Generator, type Clock, type IdGenerator } from '@clinic/domain';
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
}

export interface NodeRuntime {
  nodeId: string;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  appointments: AppointmentService;
  directory: DirectoryService;
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
    createTokenService({ signingKey, clock, issuer: `clinic:${opts.role}:${nodeId}` }),
    clock,
  );
  const core = { store: opts.store, clock, ids, nodeId };
  const appointments = createAppointmentService(core);
  const directory = createDirectoryService(core);
  const deps: ApiDeps = {
    appointments,
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
  return { nodeId, store: opts.store, clock, ids, appointments, directory, app, deps };
}
