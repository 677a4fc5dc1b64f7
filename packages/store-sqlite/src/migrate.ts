/**
 * The migration runner: applies the numbered SQL files of `migrations/` that a database
 * has not seen yet, each in its own transaction, and records them in `schema_migrations`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteDatabase } from './connection';

/** The SQL files shipped with this package. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** `0001_init.sql` -> version 1, name `init`. */
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `dir` and returns its migrations in version order. Other files are ignored. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir)) {
    const m = FILE_NAME.exec(file);
    if (!m) continue;
    const version = Number(m[1]);
    const name = m[2] ?? '';
    if (migrations.some((other) => other.version === version)) {
      throw new Error(`Two migrations share version ${version} in ${dir}.`);
    }
    migrations.push({ version, name, sql: readFileSync(join(dir, file), 'utf8') });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`;

/**
 * Applies every migration of `migrations` that `db` lacks and returns the versions it
 * applied (empty when the schema is current, so a second open is a no-op).
 *
 * Each migration runs in its own BEGIN IMMEDIATE transaction together with its
 * `schema_migrations` row: a failing migration leaves no trace and stops the run, the
 * earlier ones stay applied. The applied set is re-read inside that transaction, so two
 * processes opening the same file at once cannot apply one migration twice.
 *
 * Throws when the database has a version this build does not know: it was migrated by
 * a newer build, and this one must not write to it.
 */
export function runMigrations(
  db: SqliteDatabase,
  migrations: readonly Migration[] = loadMigrations(),
  now: () => number = Date.now,
): number[] {
  db.exec(CREATE_TABLE);
  const appliedVersions = db.prepare<[], number>('SELECT version FROM schema_migrations').pluck();
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );

  const known = new Set(migrations.map((m) => m.version));
  const unknown = appliedVersions.all().filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new Error(
      `The database has schema version(s) ${unknown.join(', ')} that this build does not know; ` +
        'it was migrated by a newer version of the software.',
    );
  }

  const applied: number[] = [];
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (appliedVersions.all().includes(migration.version)) return false;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now());
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}
