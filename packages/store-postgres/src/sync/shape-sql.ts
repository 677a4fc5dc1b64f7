/**
 * The SQL of the shapes central serves to clinic nodes (sync/SPEC.md section 5): which
 * columns each table sends, as PostgreSQL text, and which rows are in a node's scope.
 *
 * Values are built in SQL as text so they are the same whatever the driver or session
 * settings: booleans `t`/`f`, times `YYYY-MM-DD HH:MM:SS.ffffff+00` (UTC, a valid
 * PostgreSQL timestamptz text form), numbers and uuids cast to text.
 *
 * Scope predicates take the node's facilities as `$1::uuid[]`. The facility-level sets
 * (users linked to F, patients registered at F) are uncorrelated `IN (SELECT ...)`
 * subqueries: PostgreSQL computes each once per statement and probes it as a hash, so a
 * page of 2,000 appointments costs one index scan of the primary key plus hash lookups.
 * The per-row EXISTS checks (is this patient/user referenced by an in-scope appointment?)
 * are range scans of appointments(patient|provider, start_time) and
 * appointments(created_by) (migration 0003).
 */

/** The types a served column may have (PostgreSQL names, as in `electric-schema`). */
export type ShapeColumnType = 'uuid' | 'text' | 'int4' | 'int8' | 'bool' | 'timestamptz';

export interface ShapeColumnSpec {
  name: string;
  type: ShapeColumnType;
  notNull: boolean;
  pkIndex?: number;
}

export const SHAPE_SOURCE_TABLES = [
  'facilities',
  'users',
  'user_facilities',
  'patients',
  'appointments',
  'notifications',
  'conflicts',
] as const;
export type ShapeSourceTable = (typeof SHAPE_SOURCE_TABLES)[number];

const pk = (name: string, index = 0): ShapeColumnSpec => ({
  name,
  type: 'uuid',
  notNull: true,
  pkIndex: index,
});
const col = (name: string, type: ShapeColumnType, notNull = true): ShapeColumnSpec => ({
  name,
  type,
  notNull,
});

const VERSIONED: ShapeColumnSpec[] = [
  col('origin_node', 'text'),
  col('version', 'int4'),
  col('created_at', 'timestamptz'),
  col('updated_at', 'timestamptz'),
];

/**
 * The served columns of each table, in order. Users carry no `facilities` array (the
 * links are their own shape, user_facilities); conflicts no `dedupe_key` (central's
 * de-duplication key, meaningless on a node). Notifications carry theirs: it is the
 * exactly-once key of a message wherever it is delivered.
 */
export const SHAPE_COLUMNS: Record<ShapeSourceTable, readonly ShapeColumnSpec[]> = {
  facilities: [
    pk('id'),
    col('name', 'text'),
    col('timezone', 'text'),
    col('capacity', 'int4'),
    col('is_active', 'bool'),
    ...VERSIONED,
  ],
  users: [
    pk('id'),
    col('username', 'text'),
    col('password_hash', 'text'),
    col('role', 'text'),
    col('user_type', 'text'),
    col('first_name', 'text'),
    col('last_name', 'text'),
    col('email', 'text'),
    col('phone_number', 'text'),
    col('is_active', 'bool'),
    ...VERSIONED,
  ],
  user_facilities: [pk('user_id', 0), pk('facility_id', 1)],
  patients: [
    pk('id'),
    col('patient_id', 'text'),
    col('first_name', 'text'),
    col('last_name', 'text'),
    col('phone_number', 'text'),
    col('email', 'text'),
    col('registered_facility', 'uuid', false),
    col('is_active', 'bool'),
    col('clocks', 'text'),
    ...VERSIONED,
  ],
  appointments: [
    pk('id'),
    col('patient', 'uuid'),
    col('provider', 'uuid'),
    col('facility', 'uuid'),
    col('appointment_type', 'text'),
    col('reason', 'text'),
    col('status', 'text'),
    col('start_time', 'timestamptz'),
    col('end_time', 'timestamptz'),
    col('created_by', 'uuid', false),
    col('deleted_at', 'timestamptz', false),
    col('clocks', 'text'),
    ...VERSIONED,
  ],
  notifications: [
    pk('id'),
    col('appointment_id', 'uuid'),
    col('event', 'text'),
    col('recipient', 'text'),
    col('channel', 'text'),
    col('address', 'text'),
    col('dedupe_key', 'text'),
    col('status', 'text'),
    col('attempts', 'int4'),
    col('created_at', 'timestamptz'),
    col('sent_at', 'timestamptz', false),
    col('owner', 'text'),
    col('next_attempt_at', 'timestamptz'),
    col('last_error', 'text', false),
    col('conflict_id', 'uuid', false),
    col('reminder_for', 'timestamptz', false),
    col('updated_at', 'timestamptz'),
  ],
  conflicts: [
    pk('id'),
    col('kind', 'text'),
    col('appointment_a', 'uuid'),
    col('appointment_b', 'uuid', false),
    col('status', 'text'),
    col('detected_at', 'timestamptz'),
    col('resolved_at', 'timestamptz', false),
    col('resolution', 'text', false),
    col('details', 'text'),
    col('version', 'int4'),
    col('updated_at', 'timestamptz'),
  ],
};

// ---- Scope ------------------------------------------------------------------------------

const FACILITIES = '$1::uuid[]';

/** Users linked to one of the node's facilities. */
const LINKED_USERS = `SELECT luf.user_id FROM user_facilities luf WHERE luf.facility_id = ANY(${FACILITIES})`;

/** Patients registered at one of the node's facilities. */
const REGISTERED_PATIENTS = `SELECT rp.id FROM patients rp WHERE rp.registered_facility = ANY(${FACILITIES})`;

/** Appointment `a` is in scope: at F, or its provider works at F, or its patient is registered at F. */
function appointmentInScope(a: string): string {
  return (
    `(${a}.facility = ANY(${FACILITIES}) OR ${a}.provider IN (${LINKED_USERS}) ` +
    `OR ${a}.patient IN (${REGISTERED_PATIENTS}))`
  );
}

/** The user with id `userId` is linked to F (and so gets its password hash). */
function userLinked(userId: string): string {
  return `${userId} IN (${LINKED_USERS})`;
}

/** The user with id `userId` is in scope: linked to F, or provider/creator of an in-scope appointment. */
function userInScope(userId: string): string {
  return (
    `(${userLinked(userId)} ` +
    `OR EXISTS (SELECT 1 FROM appointments ua WHERE ua.provider = ${userId} AND ${appointmentInScope('ua')}) ` +
    `OR EXISTS (SELECT 1 FROM appointments ca WHERE ca.created_by = ${userId} AND ${appointmentInScope('ca')}))`
  );
}

/** How far back a node gets the delivery history of its appointments. */
export const NOTIFICATION_HISTORY_DAYS = 30;

/** The in-scope predicate of each table, over the alias `t`. */
const IN_SCOPE: Record<ShapeSourceTable, string> = {
  // Every node gets every facility; the (unused) parameter still needs its type.
  facilities: `${FACILITIES} IS NOT NULL`,
  users: userInScope('t.id'),
  user_facilities: userInScope('t.user_id'),
  patients:
    `(t.registered_facility = ANY(${FACILITIES}) ` +
    `OR EXISTS (SELECT 1 FROM appointments pa WHERE pa.patient = t.id AND ${appointmentInScope('pa')}))`,
  appointments: appointmentInScope('t'),
  // The delivery history a node shows (notifications_sent) of its current appointments:
  // delivered rows of in-scope appointments that start at most 30 days ago. Queued and
  // failed rows stay where they are delivered (their owner), older history on central: a
  // 50,000-appointment first sync would otherwise carry ~300,000 rows.
  notifications:
    `(t.status = 'sent' AND EXISTS (SELECT 1 FROM appointments na WHERE na.id = t.appointment_id ` +
    `AND na.start_time >= now() - interval '${NOTIFICATION_HISTORY_DAYS} days' AND ${appointmentInScope('na')}))`,
  conflicts:
    `(EXISTS (SELECT 1 FROM appointments xa WHERE xa.id = t.appointment_a AND ${appointmentInScope('xa')}) ` +
    `OR EXISTS (SELECT 1 FROM appointments xb WHERE xb.id = t.appointment_b AND ${appointmentInScope('xb')}))`,
};

// ---- Columns as text ----------------------------------------------------------------------

function textOf(spec: ShapeColumnSpec, table: ShapeSourceTable): string {
  const c = `t.${spec.name}`;
  if (table === 'users' && spec.name === 'password_hash') {
    // Only staff of the node's facilities log in there; other users travel without it.
    return `CASE WHEN ${userLinked('t.id')} THEN ${c} ELSE '' END`;
  }
  switch (spec.type) {
    case 'text':
      return c;
    case 'bool':
      return `CASE ${c} WHEN true THEN 't' WHEN false THEN 'f' END`;
    case 'timestamptz':
      return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'`;
    default:
      return `${c}::text`;
  }
}

function selectList(table: ShapeSourceTable): string {
  return SHAPE_COLUMNS[table].map((s) => `${textOf(s, table)} AS "${s.name}"`).join(', ');
}

/** The key columns of `table`, in key order. */
export function keyColumns(table: ShapeSourceTable): string[] {
  return SHAPE_COLUMNS[table]
    .filter((s) => s.pkIndex !== undefined)
    .sort((a, b) => (a.pkIndex ?? 0) - (b.pkIndex ?? 0))
    .map((s) => s.name);
}

/**
 * One snapshot page: `$1` facilities, `$2` limit, then one parameter per key column
 * (the last key sent) when `after` is set.
 */
export function snapshotSql(table: ShapeSourceTable, after: boolean): string {
  const keys = keyColumns(table);
  const keyList = keys.map((k) => `t.${k}`).join(', ');
  const afterSql = after
    ? `(${keyList}) > (${keys.map((_, i) => `$${i + 3}::uuid`).join(', ')}) AND `
    : '';
  return (
    `SELECT ${selectList(table)} FROM ${table} t ` +
    `WHERE ${afterSql}${IN_SCOPE[table]} ORDER BY ${keyList} LIMIT $2`
  );
}

/**
 * The current state of the rows with the given keys, and whether each is in scope:
 * `$1` facilities, then one uuid[] per key column (`$2`, `$3`), matched pairwise.
 */
export function rowsByKeySql(table: ShapeSourceTable): string {
  const keys = keyColumns(table);
  const match =
    keys.length === 1
      ? `t.${keys[0] ?? 'id'} = ANY($2::uuid[])`
      : `(${keys.map((k) => `t.${k}`).join(', ')}) IN ` +
        `(SELECT * FROM unnest(${keys.map((_, i) => `$${i + 2}::uuid[]`).join(', ')}))`;
  return (
    `SELECT ${selectList(table)}, (${IN_SCOPE[table]}) AS "__in_scope" ` +
    `FROM ${table} t WHERE ${match}`
  );
}
