/**
 * A clinic node: the API on a SQLite file in the node's data directory.
 * (Enrollment with central and background sync arrive with the sync layer.)
 */
import type { Logger } from '@clinic/api';
import {
  createNodeRuntime,
  ensureAdmin,
  listen,
  type NodeRuntime,
  type RunningServer,
} from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface EdgeOptions {
  port: number;
  host: string;
  dataDir: string;
  logger: Logger;
  version: string;
  admin?: { username: string; password: string };
}

export interface RunningEdge {
  runtime: NodeRuntime;
  server: RunningServer;
  stop(): Promise<void>;
}

export const EDGE_DB_FILE = 'clinic.db';

export async function startEdge(opts: EdgeOptions): Promise<RunningEdge> {
  mkdirSync(opts.dataDir, { recursive: true });
  const store = openSqliteStore({ file: join(opts.dataDir, EDGE_DB_FILE) });
  try {
    const runtime = await createNodeRuntime({
      role: 'edge',
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
