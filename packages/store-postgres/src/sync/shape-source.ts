/**
 * Central's shape source: what the shape server (sync/src/central/shape-server.ts) reads
 * to serve the Electric Shape protocol to clinic nodes. It implements the ShapeSourcePort
 * of sync/src/central/ports.ts structurally (this package does not import @clinic/sync).
 *
 * Input: the tables and the change log (migration 0002: every insert or update of a
 * synced table appends `(seq, tbl, key, prev)` in its own transaction).
 *
 * The one subtle part is the HEAD of the change log. `seq` is a bigserial: numbers are
 * handed out when a transaction inserts, not when it commits. On a PostgreSQL server with
 * concurrent writers, transaction A may take seq 10, B seq 11, and B commit first; a
 * reader that then took "max(seq) = 11" as its position would skip 10 forever when A
 * commits. So the head is read as the sequence's last value H (every seq <= H has been
 * handed out), then the reader waits until every transaction that was running at that
 * moment has ended (pg_xact_status of the snapshot's in-progress xids): from then on the
 * entries <= H are final, and a snapshot read afterwards reflects all of them. PGlite is
 * one connection whose transactions run one at a time, so there it never waits.
 */
import type { Database } from '../executor';
import {
  keyColumns,
  rowsByKeySql,
  SHAPE_COLUMNS,
  snapshotSql,
  type ShapeColumnSpec,
  type ShapeSourceTable,
} from './shape-sql';

export { SHAPE_COLUMNS, SHAPE_SOURCE_TABLES, type ShapeSourceTable } from './shape-sql';

export interface ShapeSourceScope {
  facilities: readonly string[];
}

export type ShapeSourceValue = Record<string, string | null>;

export interface ShapeSourceRow {
  key: string;
  value: ShapeSourceValue;
}

export type ShapeSourceChange =
  | { seq: number; key: string; op: 'update'; value: ShapeSourceValue }
  | { seq: number; key: string; op: 'delete' };

export interface ShapeSource {
  columns(table: ShapeSourceTable): readonly ShapeColumnSpec[];
  snapshot(
    table: ShapeSourceTable,
    scope: ShapeSourceScope,
    afterKey: string | null,
    limit: number,
  ): Promise<{ head: number; rows: ShapeSourceRow[] }>;
  changes(
    table: ShapeSourceTable,
    scope: ShapeSourceScope,
    afterSeq: number,
    limit: number,
  ): Promise<{ head: number; upTo: number; entries: ShapeSourceChange[] }>;
  head(table?: ShapeSourceTable): Promise<number>;
}

export interface ShapeSourceOptions {
  /**
   * How long a read waits for transactions that may still commit change-log entries
   * below the head (PostgreSQL server only). Default 10 s; past it the read throws.
   */
  maxWaitMs?: number;
}

const LAST_SEQ_SQL = `
  SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('change_log', 'seq')::regclass), 0)::text
         AS head`;

const TABLE_HEAD_SQL = `SELECT coalesce(max(seq), 0)::text AS head FROM change_log WHERE tbl = $1`;

const IN_FLIGHT_SQL = `
  SELECT ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x) AS xids`;

const STILL_RUNNING_SQL = `
  SELECT count(*)::int AS running FROM unnest($1::xid8[]) AS x
   WHERE pg_xact_status(x) = 'in progress'`;

const LOG_PAGE_SQL = `
  SELECT seq::text AS seq, key, prev IS NOT NULL AS moved FROM change_log
   WHERE tbl = $1 AND seq > $2 AND seq <= $3
   ORDER BY seq LIMIT $4`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The key of a served row: its id, or `<user_id>:<facility_id>` for a link. */
function keyOf(table: ShapeSourceTable, value: ShapeSourceValue): string {
  return keyColumns(table)
    .map((k) => value[k] ?? '')
    .join(':');
}

/** Splits keys into one array per key column (the parameters of rowsByKeySql). */
function keyArrays(table: ShapeSourceTable, keys: readonly string[]): string[][] {
  const columns = keyColumns(table);
  const arrays = columns.map(() => [] as string[]);
  for (const key of keys) {
    const parts = key.split(':');
    if (parts.length !== columns.length) throw new Error(`Malformed ${table} key: ${key}`);
    parts.forEach((p, i) => arrays[i]?.push(p));
  }
  return arrays;
}

function valueOf(row: Record<string, unknown>, table: ShapeSourceTable): ShapeSourceValue {
  const value: ShapeSourceValue = {};
  for (const { name } of SHAPE_COLUMNS[table]) value[name] = row[name] as string | null;
  return value;
}

export function createShapeSource(db: Database, options: ShapeSourceOptions = {}): ShapeSource {
  const maxWaitMs = options.maxWaitMs ?? 10_000;

  async function lastSeq(): Promise<number> {
    const [row] = await db.query<{ head: string }>(LAST_SEQ_SQL);
    return Number(row?.head ?? 0);
  }

  /** Waits until no transaction running now can still commit an entry <= the head. */
  async function waitForInFlight(): Promise<void> {
    if (db.kind === 'pglite') return; // one transaction at a time: nothing is in flight
    const [row] = await db.query<{ xids: string[] }>(IN_FLIGHT_SQL);
    const xids = row?.xids ?? [];
    const deadline = Date.now() + maxWaitMs;
    for (let delay = 2; xids.length > 0; delay = Math.min(delay * 2, 100)) {
      const [check] = await db.query<{ running: number }>(STILL_RUNNING_SQL, [xids]);
      if ((check?.running ?? 0) === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `The change log is not stable: ${check?.running} transaction(s) still running after ${maxWaitMs} ms.`,
        );
      }
      await sleep(delay);
    }
  }

  /** A head H such that every change-log entry with seq <= H is committed or gone. */
  async function stableHead(): Promise<number> {
    const head = await lastSeq(); // first: every seq <= head was handed out before...
    await waitForInFlight(); // ...the snapshot whose running transactions we wait for
    return head;
  }

  return {
    columns: (table) => SHAPE_COLUMNS[table],

    async snapshot(table, scope, afterKey, limit) {
      // The head first: rows read after the wait reflect every change <= head.
      const head = await stableHead();
      const params: unknown[] = [scope.facilities, limit];
      if (afterKey !== null) params.push(...keyArrays(table, [afterKey]).map((a) => a[0]));
      const rows = await db.query(snapshotSql(table, afterKey !== null), params);
      return {
        head,
        rows: rows.map((r) => {
          const value = valueOf(r, table);
          return { key: keyOf(table, value), value };
        }),
      };
    },

    async changes(table, scope, afterSeq, limit) {
      const head = await stableHead();
      if (head <= afterSeq) return { head, upTo: Math.max(head, afterSeq), entries: [] };
      const log = await db.query<{ seq: string; key: string; moved: boolean }>(LOG_PAGE_SQL, [
        table,
        afterSeq,
        head,
        limit,
      ]);
      const upTo = log.length < limit ? head : Number(log[log.length - 1]?.seq ?? head);
      // Collapse: the last entry of each key, moved if any of its entries may have moved it.
      const byKey = new Map<string, { seq: number; moved: boolean }>();
      for (const e of log) {
        const seen = byKey.get(e.key);
        byKey.delete(e.key); // re-insert: Map order becomes the order of last entries
        byKey.set(e.key, { seq: Number(e.seq), moved: e.moved || (seen?.moved ?? false) });
      }
      if (byKey.size === 0) return { head, upTo, entries: [] };
      const rows = await db.query(rowsByKeySql(table), [
        scope.facilities,
        ...keyArrays(table, [...byKey.keys()]),
      ]);
      const current = new Map<string, { value: ShapeSourceValue; inScope: boolean }>();
      for (const r of rows) {
        const value = valueOf(r, table);
        current.set(keyOf(table, value), { value, inScope: r.__in_scope === true });
      }
      const entries: ShapeSourceChange[] = [];
      for (const [key, { seq, moved }] of byKey) {
        const row = current.get(key);
        if (row?.inScope) entries.push({ seq, key, op: 'update', value: row.value });
        else if (moved) entries.push({ seq, key, op: 'delete' });
        // else: never in this node's scope through this change; the offset moves past it.
      }
      return { head, upTo, entries };
    },

    async head(table) {
      if (table === undefined) return lastSeq();
      const [row] = await db.query<{ head: string }>(TABLE_HEAD_SQL, [table]);
      return Number(row?.head ?? 0);
    },
  };
}
