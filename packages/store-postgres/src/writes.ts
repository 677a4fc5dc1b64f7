/**
 * The write half of a WriteTx over one open transaction: advisory locks, inserts,
 * full-row updates and user facility links (conflicts and the notification queue have
 * their own modules).
 */
import type { Facility, Patient, User } from '@clinic/domain';
import type { WriteTx, StoreReads } from '@clinic/core';
import { conflictWrites } from './conflicts';
import { notificationWrites } from './notifications';
import type { Executor } from './executor';
import { Params } from './params';
import { insertStatement, updateStatement, type Table } from './row-statements';
import { duplicateError, withUniqueMapping } from './unique-violation';

type Writes = Omit<WriteTx, keyof StoreReads>;

async function run(ex: Executor, build: (params: Params) => string) {
  const params = new Params();
  const text = build(params);
  return ex.query(text, params.values);
}

/** Inserts `row`; throws the Duplicate DomainError when `field` is already taken. */
async function insertUnique(
  ex: Executor,
  table: Table,
  row: object,
  field: 'username' | 'patient_id',
) {
  // ON CONFLICT DO NOTHING instead of catching 23505: the transaction stays usable.
  const inserted = await run(
    ex,
    (params) =>
      `${insertStatement(table, [row], params)} ON CONFLICT (${field}) DO NOTHING RETURNING id`,
  );
  if (inserted.length === 0) throw duplicateError(field);
}

/**
 * Replaces every column of the row with `row.id`. The port's updates replace an existing
 * row, so an update that matches nothing is a caller bug and throws (as on SQLite).
 */
const RECORD_NAME: Record<Table, string> = {
  facilities: 'facility',
  users: 'user',
  patients: 'patient',
  appointments: 'appointment',
  notifications: 'notification',
  conflicts: 'conflict',
};

async function update(ex: Executor, table: Table, row: { id: string }): Promise<void> {
  const updated = await withUniqueMapping(() =>
    run(ex, (params) => `${updateStatement(table, row, params)} RETURNING id`),
  );
  if (updated.length !== 1)
    throw new Error(`Cannot update ${RECORD_NAME[table]} ${row.id}: no such row.`);
}

/**
 * Writes the user's facility links (a repeated facility id is stored once). Only links
 * that change are deleted or inserted: each change fires the change-log trigger, which
 * re-announces the user's appointments to the nodes whose scope it changes.
 */
async function writeUserFacilities(ex: Executor, user: User, replace: boolean) {
  const facilities = [...new Set(user.facilities)];
  if (replace) {
    await ex.query(
      'DELETE FROM user_facilities WHERE user_id = $1 AND NOT (facility_id = ANY($2::uuid[]))',
      [user.id, facilities],
    );
  }
  if (facilities.length === 0) return;
  await ex.query(
    'INSERT INTO user_facilities (user_id, facility_id) SELECT $1, unnest($2::uuid[]) ' +
      'ON CONFLICT DO NOTHING',
    [user.id, facilities],
  );
}

/**
 * `serialized`: the database already runs one transaction at a time (PGlite), so lock()
 * has nothing to do.
 */
export function createWrites(ex: Executor, options: { serialized?: boolean } = {}): Writes {
  return {
    async lock(keys) {
      // PGlite is one connection whose transactions already run one at a time: the locks
      // would be three round trips that serialize nothing (~20% of a booking there).
      if (options.serialized) return;
      // Sorted and de-duplicated: every transaction takes its locks in the same order,
      // so two callers cannot deadlock. Released at COMMIT/ROLLBACK. Transactions run at
      // READ COMMITTED, so each statement after the lock sees what the previous holder
      // committed (REPEATABLE READ would pin the snapshot of the lock statement itself).
      // One round trip for all of them: the subquery hands the keys over in sorted order,
      // and the locks are taken row by row in that order.
      const sorted = [...new Set(keys)].sort();
      if (sorted.length === 0) return;
      await ex.query(
        `SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
           FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AS sorted_keys`,
        [sorted],
      );
    },

    async insertFacility(row: Facility) {
      await run(ex, (params) => insertStatement('facilities', [row], params));
    },
    async updateFacility(row: Facility) {
      await update(ex, 'facilities', row);
    },

    async insertUser(row: User) {
      await insertUnique(ex, 'users', row, 'username');
      await writeUserFacilities(ex, row, false);
    },
    async updateUser(row: User) {
      await update(ex, 'users', row);
      await writeUserFacilities(ex, row, true);
    },

    async insertPatient(row: Patient) {
      await insertUnique(ex, 'patients', row, 'patient_id');
    },
    async updatePatient(row: Patient) {
      await update(ex, 'patients', row);
    },

    async insertAppointment(row) {
      await run(ex, (params) => insertStatement('appointments', [row], params));
    },
    async updateAppointment(row) {
      await update(ex, 'appointments', row);
    },

    ...conflictWrites(ex),
    ...notificationWrites(ex),
  };
}
