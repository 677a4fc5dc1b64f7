/**
 * Central: the same API on PostgreSQL (embedded PGlite in the data directory by default,
 * or a PostgreSQL server with --database-url), plus what only central does: enrolled
 * nodes, the push reconciler that finds late conflicts, and the shape server the nodes
 * pull from (sync/SPEC.md). Wiring only.
 */
import {
  openInDataDir,
  startNode,
  systemClock,
  type RunningNode,
  type StartNodeOptions,
} from '@clinic/server';
import {
  createCentralSyncStore,
  createLoginThrottleStore,
  openPgliteStore,
  openPostgresStore,
  type PgStore,
} from '@clinic/store-postgres';
import { centralSyncRoutes, createNodeService, createReconciler } from '@clinic/sync';
import { createUuidV7Generator } from '@clinic/domain';
import { join } from 'node:path';
import { createCentralShape } from './central-shape';

export interface CentralOptions extends Omit<
  StartNodeOptions,
  'role' | 'store' | 'hooks' | 'ports' | 'attach'
> {
  /** A PostgreSQL server; when absent, PGlite in `<dataDir>/pglite`. */
  databaseUrl?: string;
  /** Shape long-poll timeout (tests shorten it). Default 20 s. */
  liveTimeoutMs?: number;
}
export type RunningCentral = RunningNode;

export async function openCentralStore(dataDir: string, databaseUrl?: string): Promise<PgStore> {
  if (databaseUrl) return openPostgresStore({ connectionString: databaseUrl });
  return openPgliteStore({ dataDir: join(dataDir, 'pglite') });
}

/**
 * The central-only parts of a node (nodes API, conflict re-checks, sync routes), for
 * startNode or for a test that assembles the runtime itself.
 */
export function centralParts(
  store: PgStore,
  options: { liveTimeoutMs?: number | undefined } = {},
): Pick<StartNodeOptions, 'ports' | 'hooks' | 'attach' | 'throttle'> {
  const sync = createCentralSyncStore(store);
  const clock = systemClock;
  const nodes = createNodeService({ sync, reads: store, ids: createUuidV7Generator(clock), clock });
  return {
    ports: { nodes },
    // Login counters in the database: every central process on one server shares them.
    throttle: createLoginThrottleStore(store.db, clock.now),
    // Central's own writes re-check the conflicts of the appointment they change.
    hooks: ({ conflicts }) => ({
      appointmentWritten: (tx, change) => conflicts.recheck(tx, change.after),
    }),
    attach: async (runtime) => {
      const reconciler = createReconciler({
        sync,
        conflicts: runtime.conflicts,
        clock: runtime.clock,
        hlc: runtime.hlc,
        onNotificationsQueued: () => runtime.dispatcher.wake(),
      });
      const shape = await createCentralShape(
        store,
        nodes,
        sync,
        runtime.clock,
        options.liveTimeoutMs,
      );
      runtime.app.route(
        '/',
        centralSyncRoutes({
          nodes,
          sync,
          reconciler,
          clock: runtime.clock,
          central: { nodeId: runtime.nodeId, jwks: () => runtime.tokens.jwks() },
          ...(shape && { shape }),
        }),
      );
    },
  };
}

export async function startCentral(opts: CentralOptions): Promise<RunningCentral> {
  const { databaseUrl, liveTimeoutMs, ...rest } = opts;
  // The directory 0700, PGlite's files 0600 (PGlite writes its first cluster 0666).
  const store = await openInDataDir(opts.dataDir, opts.logger, () =>
    openCentralStore(opts.dataDir, databaseUrl),
  );
  return startNode({ ...rest, role: 'central', store, ...centralParts(store, { liveTimeoutMs }) });
}
