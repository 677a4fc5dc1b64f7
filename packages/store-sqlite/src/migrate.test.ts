/** The migration runner: applies each migration once, atomically, in version order. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../tests/support/tmp-dir';
import { loadMigrations, runMigrations } from './migrate';
import { openSqliteStore } from './open';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('clinic-migrate');
});
afterEach(async () => {
  await dir.cleanup();
});

function tableNames(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
}

function appliedRows(db: Database.Database) {
  return db.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
}

async function writeMigrations(files: Record<string, string>): Promise<string> {
  const path = join(dir.path, 'migrations');
  await mkdir(path);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(path, name), sql);
  return path;
}

describe('runMigrations', () => {
  it('creates the schema on open, and applies nothing when the file is opened again', async () => {
    const file = join(dir.path, 'clinic.db');
    await openSqliteStore({ file }).close();

    const db = new Database(file);
    expect(tableNames(db)).toEqual([
      'appointments',
      'conflicts',
      'facilities',
      'meta',
      'notifications',
      'outbox',
      'patients',
      'schema_migrations',
      'sqlite_sequence',
      'sync_deferred',
      'user_facilities',
      'users',
    ]);
    const first = appliedRows(db);
    expect(first).toEqual([
      { version: 1, name: 'init', applied_at: expect.any(Number) },
      { version: 2, name: 'sync', applied_at: expect.any(Number) },
    ]);

    expect(runMigrations(db)).toEqual([]);
    db.close();
    await openSqliteStore({ file }).close();

    const again = new Database(file);
    expect(appliedRows(again)).toEqual(first);
    again.close();
  });

  it('applies only the migrations a database lacks, in version order', async () => {
    const path = await writeMigrations({
      '0002_second.sql': 'CREATE TABLE b (x INTEGER);',
      '0001_first.sql': 'CREATE TABLE a (x INTEGER);',
      'README.md': 'not a migration',
    });
    const db = new Database(':memory:');
    const migrations = loadMigrations(path);
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
    expect(runMigrations(db, migrations.slice(0, 1), () => 1000)).toEqual([1]);
    expect(runMigrations(db, migrations, () => 2000)).toEqual([2]);
    expect(runMigrations(db, migrations)).toEqual([]);
    expect(appliedRows(db)).toEqual([
      { version: 1, name: 'first', applied_at: 1000 },
      { version: 2, name: 'second', applied_at: 2000 },
    ]);
    db.close();
  });

  it('rolls back a failing migration entirely and keeps the ones before it', async () => {
    const path = await writeMigrations({
      '0001_good.sql': 'CREATE TABLE good (x INTEGER);',
      '0002_bad.sql': 'CREATE TABLE half (x INTEGER); INSERT INTO missing VALUES (1);',
    });
    const db = new Database(':memory:');
    expect(() => runMigrations(db, loadMigrations(path))).toThrow(/no such table: missing/);
    expect(tableNames(db)).toEqual(['good', 'schema_migrations']);
    expect(appliedRows(db)).toEqual([{ version: 1, name: 'good', applied_at: expect.any(Number) }]);
    db.close();
  });

  it('refuses a database migrated by a newer build', async () => {
    const path = await writeMigrations({ '0001_only.sql': 'CREATE TABLE t (x INTEGER);' });
    const db = new Database(':memory:');
    runMigrations(db, loadMigrations(path));
    db.prepare("INSERT INTO schema_migrations VALUES (7, 'future', 0)").run();
    expect(() => runMigrations(db, loadMigrations(path))).toThrow(/schema version\(s\) 7/);
    db.close();
  });

  it('rejects two migration files with one version', async () => {
    const path = await writeMigrations({ '0001_a.sql': '', '0001_b.sql': '' });
    expect(() => loadMigrations(path)).toThrow(/share version 1/);
  });
});
