/**
 * INSERT and UPDATE statements generated from a table's fixed field list: column names
 * come from the constants below, every value is a parameter, and the time fields are
 * converted from epoch ms to timestamptz in SQL.
 */
import type { Params } from './params';

const VERSIONED = ['origin_node', 'version', 'created_at', 'updated_at'] as const;

/** The stored fields of each record, equal to the column names. */
export const FIELDS = {
  facilities: ['id', 'name', 'timezone', 'capacity', 'is_active', ...VERSIONED],
  users: [
    'id',
    'username',
    'password_hash',
    'role',
    'user_type',
    'first_name',
    'last_name',
    'email',
    'phone_number',
    'is_active',
    ...VERSIONED,
  ],
  patients: [
    'id',
    'patient_id',
    'first_name',
    'last_name',
    'phone_number',
    'email',
    'registered_facility',
    'is_active',
    'clocks',
    ...VERSIONED,
  ],
  appointments: [
    'id',
    'patient',
    'provider',
    'facility',
    'appointment_type',
    'reason',
    'status',
    'start_time',
    'end_time',
    'created_by',
    'deleted_at',
    'clocks',
    ...VERSIONED,
  ],
  conflicts: [
    'id',
    'kind',
    'appointment_a',
    'appointment_b',
    'status',
    'detected_at',
    'resolved_at',
    'resolution',
    'details',
    'version',
    'updated_at',
  ],
  notifications: [
    'id',
    'appointment_id',
    'event',
    'recipient',
    'channel',
    'address',
    'dedupe_key',
    'status',
    'attempts',
    'created_at',
    'sent_at',
    'owner',
    'next_attempt_at',
    'last_error',
    'conflict_id',
    'reminder_for',
    'updated_at',
  ],
} as const;

export type Table = keyof typeof FIELDS;

const TIME_FIELDS: ReadonlySet<string> = new Set([
  'created_at',
  'updated_at',
  'start_time',
  'end_time',
  'deleted_at',
  'sent_at',
  'detected_at',
  'resolved_at',
  'next_attempt_at',
  'reminder_for',
]);

/** The SQL of one field's value (a placeholder, converted when it is a time). */
function valueSql(field: string, row: object, params: Params): string {
  const value = (row as Record<string, unknown>)[field] ?? null;
  return TIME_FIELDS.has(field) ? params.addTime(value as number | null) : params.add(value);
}

/** `INSERT INTO table (...) VALUES (...), (...)` for one or more rows. */
export function insertStatement(table: Table, rows: readonly object[], params: Params): string {
  const fields = FIELDS[table];
  const tuples = rows.map((row) => `(${fields.map((f) => valueSql(f, row, params)).join(', ')})`);
  return `INSERT INTO ${table} (${fields.join(', ')}) VALUES ${tuples.join(', ')}`;
}

/** `UPDATE table SET every column but id WHERE id = ...` for one row. */
export function updateStatement(table: Table, row: { id: string }, params: Params): string {
  const sets = FIELDS[table]
    .filter((f) => f !== 'id')
    .map((f) => `${f} = ${valueSql(f, row, params)}`);
  return `UPDATE ${table} SET ${sets.join(', ')} WHERE id = ${params.add(row.id)}`;
}
