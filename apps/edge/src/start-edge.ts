/**
 * A clinic node: the API on a SQLite file in the node's data directory.
 * (Enrollment with central and background sync arrive with the sync layer.)
 */
import { startNode, type RunningNode, type StartNodeOptions } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type EdgeOptions = Omit<StartNodeOptions, 'role' | 'store'>;
export type RunningEdge = RunningNode;

export const EDGE_DB_FILE = 'clinic.db';

export async function startEdge(opts: EdgeOptions): Promise<RunningEdge> {
  mkdirSync(opts.dataDir, { recursive: true });
  const store = openSqliteStore({ file: join(opts.dataDir, EDGE_DB_FILE) });
  return startNode({ ...opts, role: 'edge', store });
}
