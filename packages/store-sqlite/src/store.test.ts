/**
 * SQLite-specific behaviour of the store, beyond the conformance suite: pragmas,
 * durability across reopen, in-memory mode, close semantics, error mapping.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DomainError, ErrorCode } from '@clinic/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  makeAppointment,
  makeFacility,
  makePatient,
  makeUser,
  newId,
} from '../../../tests/conformance/fixtures';
import { makeTempDir, type TempDir } from '../../../tests/support/tmp-dir';
import { openSqliteStore } from './open';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('clinic-store');
});
afterEach(async () => {
  await dir.cleanup();
});

function dbFile(): string {
  return join(dir.path, 'clinic.db');
}

describe('openSqliteStore', () => {
  it('sets WAL, synchronous FULL, foreign keys and busy_timeout on both connections', async () => {
    const store = openSqliteStore({ file: dbFile() });
    const common = { journal_mode: 'wal', synchronous: 2, foreign_keys: 1, busy_timeout: 5000 };
    expect(store.pragmas()).toEqual({
      writer: { ...common, query_only: 0 },
      reader: { ...common, query_only: 1 },
    });
    expect(store.kind).toBe('sqlite');
    await store.close();

    // WAL is a property of the file: another connection sees it.
    const db = new Database(dbFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps committed data across close and reopen', async () => {
    const facility = makeFacility();
    const user = makeUser({ facilities: [facility.id] });
    const patient = makePatient();
    const appointment = makeAppointment({
      patient: patient.id,
      provider: user.id,
      facility: facility.id,
    });
    const first = openSqliteStore({ file: dbFile() });
    await first.write(async (tx) => {
      await tx.insertFacility(facility);
      await tx.insertUser(user);
      await tx.insertPatient(patient);
      await tx.insertAppointment(appointment);
    });
    await first.setMeta('node_id', 'edge-7');
    await first.close();

    const second = openSqliteStore({ file: dbFile() });
    expect(await second.getUser(user.id)).toEqual(user);
    expect(await second.getPatient(patient.id)).toEqual(patient);
    expect((await second.getAppointment(appointment.id))?.facility_name).toBe(facility.name);
    expect(await second.getMeta('node_id')).toBe('edge-7');
    await second.close();
  });

  it('works in memory (the writer serves the reads there)', async () => {
    const store = openSqliteStore({ file: ':memory:' });
    expect(store.pragmas().reader.query_only).toBe(0);
    const facility = makeFacility();
    await store.write((tx) => tx.insertFacility(facility));
    expect(await store.getFacility(facility.id)).toEqual(facility);
    await store.ping();
    await store.close();
  });
});

describe('SqliteStore', () => {
  it('closes idempotently, after the writes already waiting, and refuses work after', async () => {
    const store = openSqliteStore({ file: dbFile() });
    const facility = makeFacility();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writing = store.write(async (tx) => {
      await gate;
      await tx.insertFacility(facility);
    });
    const queued = store.write((tx) => tx.insertFacility(makeFacility()));

    const closing = store.close();
    expect(store.close()).toBe(closing);
    await expect(store.write(async () => undefined)).rejects.toThrow(/closed/);
    await expect(store.setMeta('k', 'v')).rejects.toThrow(/closed/);

    release();
    await Promise.all([writing, queued, closing]);
    await expect(store.ping()).rejects.toThrow(/closed/);
    await expect(store.getFacility(facility.id)).rejects.toThrow(/closed/);
    await store.close();

    const reopened = openSqliteStore({ file: dbFile() });
    expect(await reopened.listFacilities({ limit: 10, offset: 0 })).toMatchObject({ count: 2 });
    await reopened.close();
  });

  it('makes a tx unusable once its write() has ended', async () => {
    const store = openSqliteStore({ file: dbFile() });
    let leaked: Parameters<Parameters<typeof store.write>[0]>[0] | undefined;
    await store.write(async (tx) => {
      leaked = tx;
    });
    await expect(leaked?.insertFacility(makeFacility())).rejects.toThrow(/transaction has ended/);
    await expect(leaked?.getFacility(newId())).rejects.toThrow(/transaction has ended/);
    await store.close();
  });

  it('lets other SQLite errors through unchanged (foreign keys, primary keys)', async () => {
    const store = openSqliteStore({ file: dbFile() });
    const orphan = makeAppointment({ patient: newId(), provider: newId(), facility: newId() });
    const fk = await store.write((tx) => tx.insertAppointment(orphan)).catch((e: unknown) => e);
    expect(fk).toBeInstanceOf(Database.SqliteError);
    expect((fk as { code: string }).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');

    const facility = makeFacility();
    await store.write((tx) => tx.insertFacility(facility));
    const pk = await store.write((tx) => tx.insertFacility(facility)).catch((e: unknown) => e);
    expect(pk).toBeInstanceOf(Database.SqliteError);
    expect((pk as { code: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    await store.close();
  });

  it('keeps the SQLite error as the cause of a Duplicate', async () => {
    const store = openSqliteStore({ file: dbFile() });
    const user = makeUser();
    await store.write((tx) => tx.insertUser(user));
    const error = await store
      .write((tx) => tx.insertUser(makeUser({ username: user.username })))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: ErrorCode.Duplicate,
      details: { username: ['A user with that username already exists.'] },
    });
    expect((error as DomainError).cause).toBeInstanceOf(Database.SqliteError);
    await store.close();
  });

  it('refuses to update a row that does not exist', async () => {
    const store = openSqliteStore({ file: dbFile() });
    const facility = makeFacility();
    await expect(store.write((tx) => tx.updateFacility(facility))).rejects.toThrow(/no such row/);
    await expect(store.write((tx) => tx.updatePatient(makePatient()))).rejects.toThrow(
      /no such row/,
    );
    await expect(store.write((tx) => tx.updateUser(makeUser()))).rejects.toThrow(/no such row/);
    await store.close();
  });

  it('inserts a user and its facility links all or nothing', async () => {
    const store = openSqliteStore({ file: dbFile() });
    const user = makeUser({ facilities: [newId()] }); // no such facility
    const outcome = await store.write(async (tx) => {
      const error = await tx.insertUser(user).catch((e: unknown) => e);
      return { error, inTx: await tx.getUser(user.id) };
    });
    expect((outcome.error as { code: string }).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(outcome.inTx).toBeUndefined();
    await store.close();
  });
});
