/**
 * A clinic node: the API on a SQLite file in the node's data directory, every local write
 * recorded in the outbox, and (once enrolled with central) the sync engine that pushes
 * the outbox and pulls the node's scope in the background. Wiring only.
 */
import type { SyncPort } from '@clinic/api';
import { DomainError, ErrorCode } from '@clinic/domain';
import { openInDataDir, startNode, type RunningNode, type StartNodeOptions } from '@clinic/server';
import { createOutboxStore, openSqliteStore, type SqliteStore } from '@clinic/store-sqlite';
import {
  createSyncEngine,
  ensureEnrollment,
  outboxHooks,
  type Enrollment,
  type SyncEngine,
} from '@clinic/sync';
import { join } from 'node:path';
import { createEdgePull } from './edge-pull';

export interface EdgeOptions extends Omit<
  StartNodeOptions,
  'role' | 'store' | 'hooks' | 'ports' | 'attach'
> {
  /** Central's URL and the enrollment token: needed on first start only. */
  central?: string | undefined;
  token?: string | undefined;
  /** Sync timings (tests shorten them). */
  sync?: { intervalMs?: number; offlineIntervalMs?: number; debounceMs?: number };
}

export interface RunningEdge extends RunningNode {
  enrollment: Enrollment | undefined;
  engine: SyncEngine | undefined;
}

export const EDGE_DB_FILE = 'clinic.db';

const NOT_ENROLLED =
  'This node is not enrolled with central (start it with --central and --token).';

/** The sync endpoints of a node that was never enrolled: honest, never pretending. */
function standaloneSync(store: SqliteStore): SyncPort {
  const outbox = createOutboxStore(store);
  return {
    async status() {
      return {
        online: false,
        central_url: null,
        node_id: (await store.getMeta('node_id')) ?? '',
        pending_mutations: await outbox.countPending(),
        last_push_at: null,
        last_pull_at: null,
        last_success_at: null,
        last_error: NOT_ENROLLED,
        push_error: NOT_ENROLLED,
        pull_error: NOT_ENROLLED,
        rejected: await outbox.rejected(50),
        open_conflicts: await outbox.countOpenConflicts(),
      };
    },
    run() {
      return Promise.reject(
        new DomainError(ErrorCode.Unavailable, 'This node is not enrolled with central.'),
      );
    },
  };
}

export async function startEdge(opts: EdgeOptions): Promise<RunningEdge> {
  // The directory 0700, the database 0600 (it holds the sync token and password hashes).
  const store = await openInDataDir(opts.dataDir, opts.logger, () =>
    openSqliteStore({ file: join(opts.dataDir, EDGE_DB_FILE) }),
  );
  let enrollment: Enrollment | undefined;
  try {
    enrollment = await ensureEnrollment(store, { centralUrl: opts.central, token: opts.token });
  } catch (error) {
    await store.close();
    throw error;
  }
  const outbox = createOutboxStore(store);
  let engine: SyncEngine | undefined;
  const { central: _c, token: _t, sync: timings, ...rest } = opts;
  const node = await startNode({
    ...rest,
    role: 'edge',
    store,
    ...(enrollment && { trustedKeys: enrollment.centralKeys.keys }),
    hooks: () => outboxHooks(() => engine?.notifyWrite()),
    ports: {
      sync: enrollment
        ? { status: () => engine!.status(), run: () => engine!.run() }
        : standaloneSync(store),
    },
    attach: async (runtime) => {
      if (!enrollment) return;
      const pull = createEdgePull(store, enrollment, runtime.hlc);
      engine = createSyncEngine({
        enrollment,
        outbox,
        pull: pull.pullAll,
        onAnswers: pull.onAnswers,
        clock: runtime.clock,
        hlc: runtime.hlc,
        logger: opts.logger,
        ...timings,
      });
      await engine.start();
      const running = engine;
      return { stop: () => running.stop() };
    },
  });
  return { ...node, enrollment, engine };
}
