/**
 * Central over HTTP, on PGlite: a fresh data directory is created and migrated by
 * central's own store (openCentralStore: PGlite in <dir>/pglite) and seeded in-process:
 * its runtime (createNodeRuntime: node id, signing key) creates facilities, providers and
 * patients through the directory service. The store is closed and the appointments on
 * file are bulk-inserted with plain SQL matching the schema (through the adapter they
 * would take ~0.75 ms per row on PGlite). Then a real `clinic central` process serves
 * that directory (its admin created by --admin-user/--admin-password) and takes the
 * booking load.
 */
import { silentLogger } from '@clinic/api';
import { openCentralStore } from '@clinic/central';
import { createNodeRuntime } from '@clinic/server';
import { PGlite } from '@electric-sql/pglite';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './lib/cleanup';
import { BookingPlan, type Directory, type Shape } from './lib/dataset';
import { runHttpBench, type HttpBenchResult } from './lib/http-bench';
import { log, timed } from './lib/log';
import { pgSeedAppointments } from './lib/pg-bulk';
import { seedDirectory } from './lib/seed';

const SCOPE = 'central';

export interface CentralResult extends HttpBenchResult {
  initSeconds: number;
  seedSeconds: number;
}

export async function benchCentral(
  shape: Shape,
  day0: number,
  warmupMs: number,
  measureMs: number,
  server: { cpuProfDir?: string | undefined; nodeOptions?: string[] } = {},
): Promise<CentralResult> {
  const dataDir = makeTempDir('central');
  try {
    const t0 = performance.now();
    log(SCOPE, 'creating and migrating the PGlite cluster (initdb)…');
    const store = await openCentralStore(dataDir);
    const initSeconds = (performance.now() - t0) / 1000;
    log(SCOPE, `cluster ready in ${initSeconds.toFixed(1)}s`);
    let dir: Directory;
    let nodeId: string;
    try {
      const runtime = await createNodeRuntime({
        role: 'central',
        store,
        dataDir,
        logger: silentLogger(),
        version: 'bench',
      });
      nodeId = runtime.nodeId;
      dir = await timed(SCOPE, 'directory created', () => seedDirectory(runtime, shape, SCOPE));
    } finally {
      await store.close();
    }
    await timed(SCOPE, 'appointments written', async () => {
      const pg = await PGlite.create({ dataDir: join(dataDir, 'pglite') });
      try {
        await pgSeedAppointments(pg, dir, shape, day0, nodeId, SCOPE);
      } finally {
        await pg.close();
      }
    });
    const seedSeconds = (performance.now() - t0) / 1000 - initSeconds;
    log(SCOPE, `seeded in ${seedSeconds.toFixed(1)}s`);

    const result = await runHttpBench({
      role: 'central',
      dataDir,
      plan: new BookingPlan(dir, shape, day0),
      warmupMs,
      measureMs,
      ...(server.cpuProfDir && { cpuProfDir: server.cpuProfDir }),
      ...(server.nodeOptions && { nodeOptions: server.nodeOptions }),
    });
    return { ...result, initSeconds, seedSeconds };
  } finally {
    removeTempDir(dataDir);
  }
}
