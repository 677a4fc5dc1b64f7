/**
 * A seeded clinic node's data directory for the UI benchmark, made as booking-edge.ts makes
 * its own: the edge's store (openSqliteStore on <dir>/clinic.db) and runtime
 * (createNodeRuntime), the directory through the services (providers with the password
 * PROVIDER_PASSWORD, so they can log in to the page), the appointments on file through the
 * store's WriteTx. The store is closed before a `clinic edge` process serves the directory.
 */
import { silentLogger } from '@clinic/api';
import { EDGE_DB_FILE } from '@clinic/edge';
import { createNodeRuntime } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './cleanup';
import type { Directory, Shape } from './dataset';
import { log, timed } from './log';
import { seedAppointments, seedDirectory } from './seed';

export interface SeededEdge {
  dataDir: string;
  dbFile: string;
  dir: Directory;
  seedSeconds: number;
  dbBytes: number;
}

/** Seeds a temp dir (removed by cleanupAll / removeTempDir). */
export async function seedEdgeDataDir(
  shape: Shape,
  day0: number,
  scope: string,
): Promise<SeededEdge> {
  const dataDir = makeTempDir('ui');
  const dbFile = join(dataDir, EDGE_DB_FILE);
  const t0 = performance.now();
  const store = openSqliteStore({ file: dbFile });
  let dir: Directory;
  try {
    const runtime = await createNodeRuntime({
      role: 'edge',
      store,
      dataDir,
      logger: silentLogger(),
      version: 'bench',
    });
    dir = await timed(scope, 'directory created', () => seedDirectory(runtime, shape, scope));
    const d = dir;
    await timed(scope, 'appointments written', () =>
      seedAppointments(runtime, d, shape, day0, scope),
    );
  } finally {
    await store.close();
  }
  const seedSeconds = (performance.now() - t0) / 1000;
  const dbBytes = statSync(dbFile).size;
  log(scope, `seeded in ${seedSeconds.toFixed(1)}s (${(dbBytes / 2 ** 20).toFixed(1)} MB)`);
  return { dataDir, dbFile, dir, seedSeconds, dbBytes };
}
