/**
 * Edge over HTTP: a fresh data directory is seeded in-process with the edge's own store
 * (openSqliteStore on <dir>/clinic.db) and runtime (createNodeRuntime: node id, signing
 * key): facilities, providers and patients through the directory service, the
 * appointments on file through the store's WriteTx. The store is closed, then a real
 * `clinic edge` process serves that directory (its admin created by --admin-user/
 * --admin-password) and takes the booking load.
 */
import { silentLogger } from '@clinic/api';
import { EDGE_DB_FILE } from '@clinic/edge';
import { createNodeRuntime } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './lib/cleanup';
import { BookingPlan, type Shape } from './lib/dataset';
import { runHttpBench, type HttpBenchResult } from './lib/http-bench';
import { log, timed } from './lib/log';
import { seedAppointments, seedDirectory } from './lib/seed';

const SCOPE = 'edge';

export interface EdgeResult extends HttpBenchResult {
  seedSeconds: number;
  dbBytes: number;
}

export async function benchEdge(
  shape: Shape,
  day0: number,
  warmupMs: number,
  measureMs: number,
  server: { cpuProfDir?: string | undefined; nodeOptions?: string[] } = {},
): Promise<EdgeResult> {
  const dataDir = makeTempDir('edge');
  try {
    const t0 = performance.now();
    const store = openSqliteStore({ file: join(dataDir, EDGE_DB_FILE) });
    let dir;
    try {
      const runtime = await createNodeRuntime({
        role: 'edge',
        store,
        dataDir,
        logger: silentLogger(),
        version: 'bench',
      });
      dir = await timed(SCOPE, 'directory created', () => seedDirectory(runtime, shape, SCOPE));
      await timed(SCOPE, 'appointments written', () =>
        seedAppointments(runtime, dir!, shape, day0, SCOPE),
      );
    } finally {
      await store.close();
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    const dbBytes = statSync(join(dataDir, EDGE_DB_FILE)).size;
    log(SCOPE, `seeded in ${seedSeconds.toFixed(1)}s (${(dbBytes / 2 ** 20).toFixed(1)} MB)`);

    const result = await runHttpBench({
      role: 'edge',
      dataDir,
      plan: new BookingPlan(dir, shape, day0),
      warmupMs,
      measureMs,
      ...(server.cpuProfDir && { cpuProfDir: server.cpuProfDir }),
      ...(server.nodeOptions && { nodeOptions: server.nodeOptions }),
    });
    return { ...result, seedSeconds, dbBytes };
  } finally {
    removeTempDir(dataDir);
  }
}
