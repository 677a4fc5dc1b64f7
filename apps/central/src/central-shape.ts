/**
 * Binds the shape server (sync/src/central/shape-server.ts) to central's database: the
 * change-log reader of store-postgres, node authentication, `last_pull_at`, and the
 * change-log epoch (a random value kept in central's metadata; a new one, after a restore
 * from backup, makes every node refetch).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '@clinic/domain';
import { createShapeSource, type PgStore } from '@clinic/store-postgres';
import { createShapeRoute, type CentralSyncStore, type NodeService } from '@clinic/sync';
import type { Hono } from 'hono';

const EPOCH_KEY = 'sync_epoch';

async function changeLogEpoch(store: PgStore): Promise<string> {
  const existing = await store.getMeta(EPOCH_KEY);
  if (existing) return existing;
  const epoch = randomUUID().slice(0, 8);
  await store.setMeta(EPOCH_KEY, epoch);
  return epoch;
}

export async function createCentralShape(
  store: PgStore,
  nodes: NodeService,
  sync: CentralSyncStore,
  clock: Clock,
  liveTimeoutMs?: number,
): Promise<Hono> {
  const epoch = await changeLogEpoch(store);
  return createShapeRoute({
    source: createShapeSource(store.db),
    authenticate: (header) => nodes.authenticate(header),
    onPull: (nodeId) => sync.notePull(nodeId, clock.now()),
    epoch: () => epoch,
    // 1,000 rows a page keeps a node's first sync of 50k appointments near 100 MB of RSS
    // (bench/sync-pull.ts: 2,000 a page peaked at 107 MB); the wire cost is the same.
    snapshotPageSize: 1_000,
    ...(liveTimeoutMs !== undefined && { liveTimeoutMs }),
  });
}
