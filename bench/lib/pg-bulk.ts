/**
 * Bulk loading of benchmark rows into a PGlite database with plain SQL that matches
 * the schema of packages/store-postgres/src/migrations: the columns are read from the
 * database itself, times go from epoch ms to timestamptz exactly as the adapter converts
 * them (`to_timestamp(ms::float8 / 1000)`). One
 * `INSERT ... SELECT FROM unnest($1::uuid[], ...)` per batch: the adapter's one INSERT
 * per row costs ~0.75 ms on PGlite, which would make seeding 20k appointments take
 * half a minute.
 */
import type { PGlite } from '@electric-sql/pglite';
import { createUuidV7Generator, type Appointment, type Notification } from '@clinic/domain';
import { seededAppointment, type Directory, type Shape } from './dataset';
import { progress } from './log';

/** A PGlite instance or one of its transactions. */
export interface PgQueryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** How a column's value travels: as an array of this type, converted when it is a time. */
type PgType = 'uuid' | 'text' | 'int4' | 'int8' | 'float8' | 'bool' | 'ms';
type Columns = ReadonlyArray<readonly [name: string, type: PgType]>;

const UDT: Record<string, PgType> = {
  uuid: 'uuid',
  text: 'text',
  varchar: 'text',
  int2: 'int4',
  int4: 'int4',
  int8: 'int8',
  float8: 'float8',
  bool: 'bool',
  timestamptz: 'ms',
};

const columnCache = new WeakMap<object, Map<string, Columns>>();

/**
 * The columns of `table` as the database has them (information_schema), so the loader
 * follows the migrations instead of a copy of them. Cached per connection.
 */
export async function tableColumns(pg: PgQueryable, table: string): Promise<Columns> {
  let cache = columnCache.get(pg);
  if (!cache) columnCache.set(pg, (cache = new Map()));
  const cached = cache.get(table);
  if (cached) return cached;
  const result = (await pg.query(
    `SELECT column_name, udt_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  )) as { rows: { column_name: string; udt_name: string }[] };
  if (result.rows.length === 0) throw new Error(`no table "${table}"`);
  const columns = result.rows.map(({ column_name, udt_name }) => {
    const type = UDT[udt_name];
    if (!type) throw new Error(`${table}.${column_name}: unsupported type ${udt_name}`);
    return [column_name, type] as const;
  });
  cache.set(table, columns);
  return columns;
}

const BATCH = 5000;

/**
 * Inserts `rows` (objects with one property per column; a missing one is NULL, so a
 * NOT NULL column the rows lack fails loudly) into `table`, epoch-ms times converted to
 * timestamptz as the adapter does.
 */
export async function pgInsertRows(
  pg: PgQueryable,
  table: string,
  rows: readonly object[],
): Promise<void> {
  const columns = await tableColumns(pg, table);
  const names = columns.map(([name]) => name).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type === 'ms' ? 'float8' : type}[]`);
  const values = columns.map(([name, type]) =>
    type === 'ms' ? `to_timestamp(u.${name} / 1000)` : `u.${name}`,
  );
  const sql =
    `INSERT INTO ${table} (${names}) SELECT ${values.join(', ')} ` +
    `FROM unnest(${arrays.join(', ')}) AS u(${names})`;
  for (let from = 0; from < rows.length; from += BATCH) {
    const batch = rows.slice(from, from + BATCH) as Record<string, unknown>[];
    await pg.query(
      sql,
      columns.map(([name]) => batch.map((row) => row[name] ?? null)),
    );
  }
}

export interface PgInsert {
  sql: string;
  /** The parameters of `sql` for `rows` (as many as the statement was made for). */
  values(rows: readonly object[]): unknown[];
}

/**
 * `INSERT INTO table (every column) VALUES ($1, ...), ...` for `count` rows, the way the
 * adapter writes rows (row-statements.ts): every value a parameter, times as
 * `to_timestamp($n::float8 / 1000)`.
 */
export async function pgInsertStatement(
  pg: PgQueryable,
  table: string,
  count: number,
  suffix = '',
): Promise<PgInsert> {
  const columns = await tableColumns(pg, table);
  const tuples: string[] = [];
  for (let r = 0; r < count; r += 1) {
    const placeholders = columns.map(([, type], i) => {
      const p = `$${r * columns.length + i + 1}`;
      return type === 'ms' ? `to_timestamp(${p}::float8 / 1000)` : p;
    });
    tuples.push(`(${placeholders.join(', ')})`);
  }
  return {
    sql:
      `INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) ` +
      `VALUES ${tuples.join(', ')} ${suffix}`,
    values: (rows) =>
      rows.flatMap((row) =>
        columns.map(([name]) => (row as Record<string, unknown>)[name] ?? null),
      ),
  };
}

/** Inserts facilities, providers (with their facility links) and patients. */
export async function pgInsertDirectory(pg: PgQueryable, dir: Directory) {
  await pgInsertRows(pg, 'facilities', dir.facilities);
  await pgInsertRows(pg, 'users', dir.providers);
  await pgInsertRows(
    pg,
    'user_facilities',
    dir.providers.flatMap((u) =>
      // `ordinal` only matters where the schema has it (older migrations did).
      u.facilities.map((facility_id, i) => ({ user_id: u.id, facility_id, ordinal: i + 1 })),
    ),
  );
  await pgInsertRows(pg, 'patients', dir.patients);
}

/**
 * Inserts the seeded appointments and their notifications in one transaction (the
 * notifications' foreign key is DEFERRABLE INITIALLY DEFERRED: checked at COMMIT).
 */
export async function pgSeedAppointments(
  pg: PGlite,
  dir: Directory,
  shape: Shape,
  day0: number,
  nodeId: string,
  scope: string,
): Promise<void> {
  const ids = createUuidV7Generator({ now: () => Date.now() });
  const now = Date.now();
  const report = progress(scope, 'appointments (plain SQL)', shape.appointments);
  await pg.transaction(async (tx) => {
    for (let from = 0; from < shape.appointments; from += BATCH) {
      const to = Math.min(shape.appointments, from + BATCH);
      const appointments: Appointment[] = [];
      const notifications: Notification[] = [];
      for (let k = from; k < to; k += 1) {
        const s = seededAppointment(k, dir, shape, day0, ids, now, nodeId);
        appointments.push(s.appointment);
        notifications.push(...s.notifications);
      }
      await pgInsertRows(tx, 'appointments', appointments);
      await pgInsertRows(tx, 'notifications', notifications);
      report(to);
    }
  });
}
