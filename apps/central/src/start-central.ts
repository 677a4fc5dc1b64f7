/**
 * Central: the same API on PostgreSQL, embedded PGlite in the data directory by
 * default, or a PostgreSQL server with --database-url.
 */
import type { Store } from '@clinic/core';
import { startNode, type RunningNode, type StartNodeOptions } from '@clinic/server';
import { openPgliteStore, openPostgresStore } from '@clinic/store-postgres';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface CentralOptions extends Omit<StartNodeOptions, 'role' | 'store'> {
  /** A PostgreSQL server; when absent, PGlite in `<dataDir>/pglite`. */
  databaseUrl?: string;
}
export type RunningCentral = RunningNode;

export async function openCentralStore(dataDir: string, databaseUrl?: string): Promise<Store> {
  if (databaseUrl) return openPostgresStore({ connectionString: databaseUrl });
  return openPgliteStore({ dataDir: join(dataDir, 'pglite') });
}

export async function startCentral(opts: CentralOptions): Promise<RunningCentral> {
  mkdirSync(opts.dataDir, { recursive: true });
  const { databaseUrl, ...rest } = opts;
  const store = await openCentralStore(opts.dataDir, databaseUrl);
  return startNode({ ...rest, role: 'central', store });
}
