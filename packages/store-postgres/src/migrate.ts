/**
 * The migration runner: applies `migrations/NNNN_name.sql` in version order, each in
 * its own transaction, and records it in `schema_migrations`. Idempotent. Every
 * migration transaction first takes a transaction-scoped advisory lock, so concurrent
 * migrators against one server (several central processes starting at once) apply each
 * file exactly once; it works the same on a pool and on PGlite's single connection.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { Database } from './executor';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migration files shipped with this package, in version order. */
export async function loadMigrations(): Promise<Migration[]> {
  const names = (await readdir(MIGRATIONS_DIR)).filter((n) => FILE_NAME.test(n)).sort();
  const migrations: Migration[] = [];
  for (const file of names) {
    const [, version = '', name = ''] = FILE_NAME.exec(file) ?? [];
    migrations.push({
      version: Number(version),
      name,
      sql: await readFile(new URL(file, MIGRATIONS_DIR), 'utf8'),
    });
  }
  return migrations;
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

async function appliedVersions(db: Database): Promise<Set<number>> {
  const [exists] = await db.query<{ present: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS present`,
  );
  if (!exists?.present) return new Set();
  const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((r) => r.version));
}

/** Applies the pending migrations; returns the versions it applied (empty when none). */
export async function migrate(db: Database, migrations?: readonly Migration[]): Promise<number[]> {
  const all = migrations ?? (await loadMigrations());
  const done = await appliedVersions(db);
  const applied: number[] = [];
  for (const m of all) {
    if (done.has(m.version)) continue;
    const ran = await db.transaction(async (tx) => {
      // One lock for all migrators; released at COMMIT/ROLLBACK.
      await tx.query(
        `SELECT pg_advisory_xact_lock(hashtextextended('clinic.schema_migrations', 0))`,
      );
      await tx.exec(CREATE_TABLE);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
        m.version,
      ]);
      if (seen.length > 0) return false; // another migrator applied it while we waited
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      return true;
    });
    if (ran) applied.push(m.version);
  }
  return applied;
}
