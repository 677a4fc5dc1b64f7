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
      { version: 3, name: 'notifications', applied_at: expect.any(Number) },
    ]);

    expect(runMigrations(db)).toEqual([]);
    db.close();
    await openSqliteStore({ file }).close();

    const again = new Database(file);
    expect(appliedRows(again)).toEqual(first);
    again.close();
  });

  it("0003 keeps the queued notifications (as central's, due when queued) and the outbox counter", () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    const shipped = loadMigrations();
    runMigrations(
      db,
      shipped.filter((m) => m.version <= 2),
    );
    db.exec(`
      INSERT INTO facilities VALUES ('f', 'F', 'UTC', 1, 1, 'n', 1, 0, 0);
      INSERT INTO users VALUES ('u', 'u', 'h', 'provider', 'doctor', 'A', 'B', 'e', 'p', 1, 'n', 1, 0, 0);
      INSERT INTO patients (id, patient_id, first_name, last_name, phone_number, email,
        registered_facility, is_active, origin_node, version, created_at, updated_at)
        VALUES ('p', 'MRN', 'A', 'B', 'p', 'e', NULL, 1, 'n', 1, 0, 0);
      INSERT INTO appointments (id, patient, provider, facility, appointment_type, reason,
        status, start_time, end_time, created_by, deleted_at, origin_node, version,
        created_at, updated_at)
        VALUES ('a', 'p', 'u', 'f', 'consultation', 'r', 'scheduled', 10, 20, NULL, NULL, 'n', 1, 0, 0);
      INSERT INTO notifications VALUES
        ('n1', 'a', 'created', 'patient', 'email', 'x@example.org', 'k1', 'sent', 1, 100, 150),
        ('n2', 'a', 'created', 'provider', 'sms', '+254700000001', 'k2', 'pending', 0, 200, NULL);
      INSERT INTO outbox (kind, entity_id, hlc, args, status, created_at) VALUES
        ('patient.put', 'p', 'h', '{}', 'applied', 1), ('patient.put', 'p', 'h', '{}', 'pending', 2);
      DELETE FROM outbox WHERE seq = 2;`);

    expect(runMigrations(db, shipped)).toEqual([3]);
    expect(db.prepare('SELECT * FROM notifications ORDER BY id').all()).toEqual([
      {
        id: 'n1',
        appointment_id: 'a',
        event: 'created',
        recipient: 'patient',
        channel: 'email',
        address: 'x@example.org',
        dedupe_key: 'k1',
        status: 'sent',
        attempts: 1,
        created_at: 100,
        sent_at: 150,
        owner: 'central',
        next_attempt_at: 100,
        last_error: null,
        conflict_id: null,
        reminder_for: null,
        updated_at: 100,
      },
      expect.objectContaining({
        id: 'n2',
        status: 'pending',
        owner: 'central',
        next_attempt_at: 200,
      }),
    ]);
    // The pruned seq 2 is not handed out again.
    const seq = db
      .prepare(
        `INSERT INTO outbox (kind, entity_id, hlc, args, status, created_at)
         VALUES ('notifications.put', 'n2', 'h', '{}', 'pending', 3) RETURNING seq`,
      )
      .pluck()
      .get();
    expect(seq).toBe(3);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
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
