/**
 * What the pull applier (pull-apply.ts) knows about each pulled table: its columns, how a
 * pulled record becomes SQLite parameters, its key, and the rows it references (which
 * must exist locally first: SQLite checks foreign keys at once, not at COMMIT).
 */
import {
  CENTRAL_OWNER,
  type Appointment,
  type ConflictRecord,
  type Facility,
  type Notification,
  type Patient,
  type User,
} from '@clinic/domain';
import type { NamedParams } from '../statement-cache';

/** The pulled tables, parents first (sync/SPEC.md section 5; as sync's SHAPE_TABLES). */
export const PULL_TABLES = [
  'facilities',
  'users',
  'user_facilities',
  'patients',
  'appointments',
  'notifications',
  'conflicts',
] as const;
export type PullTable = (typeof PULL_TABLES)[number];

/** A user as pulled: the links to facilities arrive as user_facilities rows. */
export type PulledUser = Omit<User, 'facilities'>;

export interface UserFacilityLink {
  user_id: string;
  facility_id: string;
}

/** A pulled row: the domain record of its table (times epoch ms, booleans). */
export type PulledRow =
  Facility | PulledUser | UserFacilityLink | Patient | Appointment | Notification | ConflictRecord;

/** The key columns of a pulled row (what a delete carries). */
export type PulledKey = { id: string } | UserFacilityLink;

interface TableSpec {
  columns: readonly string[];
  nullable: ReadonlySet<string>;
  booleans: ReadonlySet<string>;
  /** A unique column besides the key, which a stale local row may still hold. */
  unique?: 'username' | 'patient_id';
  /** Whether the node writes this table itself (outbox mutations: appointments, patients). */
  local: boolean;
  /** The rows this one references, as [table, id]. */
  parents(row: object): Array<[PullTable, string]>;
  upsert: string;
  delete: string;
}

const VERSIONED = ['origin_node', 'version', 'created_at', 'updated_at'];

function upsertSql(table: PullTable, columns: readonly string[]): string {
  const values = columns.map((c) => `@${c}`).join(', ');
  const sets = columns
    .filter((c) => c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values}) ` +
    `ON CONFLICT (id) DO UPDATE SET ${sets}`
  );
}

function spec(
  table: PullTable,
  columns: string[],
  options: Partial<Omit<TableSpec, 'columns' | 'upsert' | 'delete'>> = {},
): TableSpec {
  return {
    columns,
    nullable: options.nullable ?? new Set(),
    booleans: options.booleans ?? new Set(),
    ...(options.unique ? { unique: options.unique } : {}),
    local: options.local ?? false,
    parents: options.parents ?? (() => []),
    upsert: upsertSql(table, columns),
    delete: `DELETE FROM ${table} WHERE id = @id`,
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

const NOTIFICATION_COLUMNS = [
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
];

/**
 * A pulled notification overwrites the local row only when central delivers it, or when
 * central's copy is newer: a clinic node's own rows are the truth where they were made
 * (central's copy of them lags behind, and never becomes newer on its own). The
 * dedupe_key never changes for an id, so the update leaves it alone; a pulled row whose
 * dedupe_key a local row holds under another id (the same message queued twice) is
 * skipped by the last clause instead of failing the batch.
 */
function notificationUpsertSql(): string {
  const values = NOTIFICATION_COLUMNS.map((c) => `@${c}`).join(', ');
  const sets = NOTIFICATION_COLUMNS.filter((c) => c !== 'id' && c !== 'dedupe_key')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return (
    `INSERT INTO notifications (${NOTIFICATION_COLUMNS.join(', ')}) VALUES (${values}) ` +
    `ON CONFLICT (id) DO UPDATE SET ${sets} ` +
    `WHERE notifications.owner = '${CENTRAL_OWNER}' ` +
    `OR excluded.updated_at > notifications.updated_at ` +
    `ON CONFLICT DO NOTHING`
  );
}

export const TABLES: Record<PullTable, TableSpec> = {
  facilities: spec(
    'facilities',
    ['id', 'name', 'timezone', 'capacity', 'is_active', ...VERSIONED],
    { booleans: new Set(['is_active']) },
  ),
  users: spec(
    'users',
    [
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
    { booleans: new Set(['is_active']), unique: 'username' },
  ),
  user_facilities: {
    columns: ['user_id', 'facility_id'],
    nullable: new Set(),
    booleans: new Set(),
    local: false,
    parents: (row) => {
      const r = row as UserFacilityLink;
      return [
        ['users', r.user_id],
        ['facilities', r.facility_id],
      ];
    },
    upsert:
      'INSERT INTO user_facilities (user_id, facility_id) VALUES (@user_id, @facility_id) ' +
      'ON CONFLICT DO NOTHING',
    delete: 'DELETE FROM user_facilities WHERE user_id = @user_id AND facility_id = @facility_id',
  },
  patients: spec(
    'patients',
    [
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
    {
      nullable: new Set(['registered_facility']),
      booleans: new Set(['is_active']),
      unique: 'patient_id',
      local: true,
      parents: (row) => {
        const facility = str((row as Patient).registered_facility);
        return facility === undefined ? [] : [['facilities', facility]];
      },
    },
  ),
  appointments: spec(
    'appointments',
    [
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
    {
      nullable: new Set(['created_by', 'deleted_at']),
      local: true,
      parents: (row) => {
        const r = row as Appointment;
        const parents: Array<[PullTable, string]> = [
          ['patients', r.patient],
          ['users', r.provider],
          ['facilities', r.facility],
        ];
        const creator = str(r.created_by);
        if (creator !== undefined && creator !== r.provider) parents.push(['users', creator]);
        return parents;
      },
    },
  ),
  notifications: {
    ...spec('notifications', NOTIFICATION_COLUMNS, {
      nullable: new Set(['sent_at', 'last_error', 'conflict_id', 'reminder_for']),
      parents: (row) => [['appointments', (row as Notification).appointment_id]],
    }),
    upsert: notificationUpsertSql(),
  },
  // No foreign keys on a node (rows arrive from separate streams in any order).
  conflicts: spec(
    'conflicts',
    [
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
    { nullable: new Set(['appointment_b', 'resolved_at', 'resolution']) },
  ),
};

/** The key of a row (or of a delete's key columns) of `table`. */
export function keyOf(table: PullTable, row: object): string {
  const r = row as Record<string, unknown>;
  const key =
    table === 'user_facilities'
      ? typeof r.user_id === 'string' && typeof r.facility_id === 'string'
        ? `${r.user_id}:${r.facility_id}`
        : undefined
      : str(r.id);
  if (key === undefined) throw new Error(`A pulled ${table} row has no key: ${JSON.stringify(r)}`);
  return key;
}

/** The key columns of `key` as statement parameters. */
export function keyParams(table: PullTable, key: string): NamedParams {
  if (table !== 'user_facilities') return { id: key };
  const [user_id = '', facility_id = ''] = key.split(':');
  return { user_id, facility_id };
}

/**
 * Every column of `row` as a parameter, booleans as 0/1. A missing column, or a null in a
 * NOT NULL one, throws (better-sqlite3 would otherwise bind a missing property as NULL).
 */
export function rowParams(table: PullTable, row: object): NamedParams {
  const t = TABLES[table];
  const r = row as Record<string, unknown>;
  const params: NamedParams = {};
  for (const c of t.columns) {
    const v = r[c];
    if (v === undefined || (v === null && !t.nullable.has(c))) {
      const what = v === undefined ? 'lacks' : 'has a null';
      throw new Error(`A pulled ${table} row ${what} ${c}: ${keyOf(table, row)}`);
    }
    if (t.booleans.has(c)) {
      if (typeof v !== 'boolean') throw new Error(`A pulled ${table}.${c} is not a boolean.`);
      params[c] = v ? 1 : 0;
    } else if (v === null || typeof v === 'string' || typeof v === 'number') {
      params[c] = v;
    } else {
      throw new Error(`A pulled ${table}.${c} has an unexpected type (${typeof v}).`);
    }
  }
  return params;
}

/** The write count of a row (0 for link rows, which have none). */
export function versionOf(row: object): number {
  const v = (row as { version?: unknown }).version;
  return typeof v === 'number' ? v : 0;
}
