/**
 * Central: the same API on PostgreSQL, embedded PGlite in the data directory by
 * default, or a PostgreSQL server with --database-url.
 */
import type { Logger } from '@clinic/api';
import type { Store } from '@clinic/core';
import {
  createNodeRuntime,
  ensureAdmin,
  listen,
  type NodeRuntime,
  type RunningServer,
} from '@clinic/server';
import { openPgliteStore, openPostgresStore } from '@clinic/store-postgres';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface CentralOptions {
  port: number;
  host: string;
  dataDir: string;
  /** A PostgreSQL server; when absent, PGlite in `<dataDir>/pglite`. */
  databaseUrl?: string;
  logger: Logger;
  version: string;
  admin?: { username: string; password: string };
}

export interface RunningCentral {
  runtime: NodeRuntime;
  server: RunningServer;
  stop(): Promise<void>;
}

export async function openCentralStore(dataDir: string, databaseUrl?: string): Promise<Store> {
  if (databaseUrl) return openPostgresStore({ connectionString: databaseUrl });
  return openPgliteStore({ dataDir: join(dataDir, 'pglite') });
}

export async function startCentral(opts: CentralOptions): Promise<RunningCentral> {
  mkdirSync(opts.dataDir, { recursive: true });
  const store = await openCentralStore(opts.dataDir, opts.databaseUrl);
  try {
    const runtime = await createNodeRuntime({
      role: 'central',
      store,
      dataDir: opts.dataDir,
      logger: opts.logger,
      version: opts.version,
    });
    if (opts.admin) await ensureAdmin(runtime.directory, opts.admin.username, opts.admin.password);
    const server = await listen(runtime.app, { port: opts.port, host: opts.host });
    return {
      runtime,
      server,
      async stop() {
        await server.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
