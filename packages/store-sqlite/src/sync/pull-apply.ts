/**
 * The clinic node's pull applier (sync/SPEC.md sections 4 and 5): writes the rows pulled
 * from central's shapes into SQLite, one transaction per batch together with the stream
 * position, without ever overwriting a local write central has not seen yet.
 *
 * Rules, per pulled row:
 * - The entity (appointment or patient) has a `pending` outbox mutation: the row is
 *   parked in `sync_deferred` (reason `pending`; of two parked copies the higher
 *   `version` stays). Once central has answered the mutations, `releaseDeferred` applies
 *   it (the push answer's row is parked the same way with `deferRowSql`, so the newest of
 *   the two wins).
 * - A row it references (facility, user, patient) is not on the node yet (it comes on
 *   another stream, or was parked itself): parked with reason `parent`;
 *   `retryDeferredParents` applies it once the parent is there. SQLite checks foreign
 *   keys immediately, so this is what lets streams arrive in any order.
 * - Otherwise the row is upserted (every column; users keep their local facility links,
 *   which arrive as user_facilities rows). A parked copy with a higher version wins.
 *   Notifications are the exception (see pull-tables.ts): a local row is overwritten only
 *   when its owner is central or the pulled copy is newer (updated_at), and a pulled row
 *   whose dedupe_key is held locally under another id is skipped.
 * - A delete (the row left the node's scope) removes the local row, except: the entity
 *   has pending mutations (kept: central's answer decides), or a local row still
 *   references it (an appointment with notifications, a patient or user with
 *   appointments): then the row simply stays, and a user that stays loses its password
 *   hash, so it can no longer log in on this node. Parked copies of the row are dropped.
 * - A local row may hold the username/MRN of a pulled row: a stale copy whose own rename
 *   has not arrived yet, a rejected local create, or a node-only user such as the admin
 *   made by `clinic edge --admin-user`. A pulled user without a password hash (it cannot
 *   log in here) then yields to a local user who can: it is stored as `<username>~<id>`
 *   (given its name back at the end of the batch if the name became free). Otherwise the
 *   holder is renamed `<value>~moved~<id>` (a stale copy is corrected by its own change).
 *
 * `must-refetch` forgets the stored position (the rows stay; the refetch sends them again).
 * Positions live in `meta` under `sync.shape.<table>` as JSON `{offset, handle}`.
 */
import Database from 'better-sqlite3';
import { getMeta, setMeta } from '../meta-queries';
import type { NamedParams, StatementCache } from '../statement-cache';
import type { SqliteStore } from '../store';
import {
  keyOf,
  keyParams,
  PULL_TABLES,
  rowParams,
  TABLES,
  versionOf,
  type PulledKey,
  type PulledRow,
  type PullTable,
} from './pull-tables';

export {
  PULL_TABLES,
  type PulledKey,
  type PulledRow,
  type PulledUser,
  type PullTable,
  type UserFacilityLink,
} from './pull-tables';

/** Where a shape stream stands: what the next request sends as `offset` and `handle`. */
export interface ShapePosition {
  offset: string;
  handle: string;
}

/** One message of a shape stream, converted to domain records (epoch ms, booleans). */
export type PullMessage =
  | { op: 'insert' | 'update'; row: PulledRow }
  | { op: 'delete'; row: PulledKey }
  | { op: 'must-refetch' };

export interface ApplyResult {
  /** Rows written (inserted or updated). */
  applied: number;
  /** Rows parked in sync_deferred (pending local mutations, or a parent not here yet). */
  deferred: number;
  /** Rows deleted because they left the node's scope. */
  deleted: number;
  /** Deletes not done: pending local mutations, or still referenced locally. */
  skipped: number;
  /** The latest HLC in the `clocks` of the rows received (applied or parked), for observe(). */
  maxHlc: string | undefined;
}

export type DeferReason = 'pending' | 'parent';

const POSITION_KEY = (table: PullTable) => `sync.shape.${table}`;

const SQL = {
  pending: `SELECT 1 AS one FROM outbox WHERE entity_id = @id AND status = 'pending' LIMIT 1`,
  parked: 'SELECT value, reason FROM sync_deferred WHERE tbl = @tbl AND key = @key',
  park: `
    INSERT INTO sync_deferred (tbl, key, value, reason) VALUES (@tbl, @key, @value, @reason)
    ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value, reason = excluded.reason`,
  unpark: 'DELETE FROM sync_deferred WHERE tbl = @tbl AND key = @key',
  parkedForParent: `SELECT key, value FROM sync_deferred WHERE tbl = @tbl AND reason = 'parent' ORDER BY key`,
  parkedPending: `SELECT tbl, value FROM sync_deferred WHERE key = @key AND reason = 'pending'`,
  forgetPosition: 'DELETE FROM meta WHERE key = @key',
  revokeLogin: `UPDATE users SET password_hash = '' WHERE id = @id`,
} as const;

const EXISTS = Object.fromEntries(
  PULL_TABLES.map((t) => [t, `SELECT 1 AS one FROM ${t} WHERE id = @id`]),
) as Record<PullTable, string>;

function isConstraint(error: unknown, code: string): boolean {
  return error instanceof Database.SqliteError && error.code === code;
}

function hasPending(sql: StatementCache, table: PullTable, key: string): boolean {
  return TABLES[table].local && sql.get1(SQL.pending, { id: key }) !== undefined;
}

function readParked(
  sql: StatementCache,
  table: PullTable,
  key: string,
): { row: PulledRow; reason: DeferReason } | undefined {
  const parked = sql.get1<{ value: string; reason: DeferReason }>(SQL.parked, { tbl: table, key });
  return parked && { row: JSON.parse(parked.value) as PulledRow, reason: parked.reason };
}

function park(sql: StatementCache, table: PullTable, row: PulledRow, reason: DeferReason): void {
  const key = keyOf(table, row);
  sql.run(SQL.park, { tbl: table, key, value: JSON.stringify(row), reason });
}

/** Notes the latest HLC of the row's `clocks` (appointments, patients) in `result`. */
function noteClocks(row: object, result: ApplyResult): void {
  const clocks = (row as { clocks?: unknown }).clocks;
  if (typeof clocks !== 'string') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(clocks);
  } catch {
    return; // a malformed clock map says nothing about time; the row still applies
  }
  if (typeof parsed !== 'object' || parsed === null) return;
  for (const stamp of Object.values(parsed)) {
    if (typeof stamp === 'string' && (result.maxHlc === undefined || stamp > result.maxHlc)) {
      result.maxHlc = stamp;
    }
  }
}

/**
 * Parks central's `row` for `table` in sync_deferred, unless a parked copy with a higher
 * version is already there. For the push answer's row (reason `pending`, the default):
 * call it in the transaction that records the answer, then `releaseDeferredSql`.
 */
export function deferRowSql(
  sql: StatementCache,
  table: PullTable,
  row: PulledRow,
  reason: DeferReason = 'pending',
): void {
  const existing = readParked(sql, table, keyOf(table, row));
  if (existing && versionOf(existing.row) > versionOf(row)) return;
  park(sql, table, row, reason);
}

/** What one call of the applier did, and the usernames to restore at its end. */
interface Work {
  result: ApplyResult;
  /** Users stored under `<username>~<id>` because a local user holds the name. */
  yielded: Array<{ id: string; username: string }>;
}

function newWork(): Work {
  return {
    result: { applied: 0, deferred: 0, deleted: 0, skipped: 0, maxHlc: undefined },
    yielded: [],
  };
}

/** Gives the yielded users their own usernames back where those are free by now. */
function restoreYielded(sql: StatementCache, work: Work): void {
  for (const { id, username } of work.yielded) {
    sql.run(
      `UPDATE users SET username = @username WHERE id = @id
          AND NOT EXISTS (SELECT 1 FROM users WHERE username = @username)`,
      { id, username },
    );
  }
  work.yielded = [];
}

/**
 * Upserts `row` (as `params`). When a local row holds its username/MRN: a user central
 * sends without a password hash (it cannot log in here) yields to a local user who can
 * (e.g. the node's own admin) and is stored as `<username>~<id>`; otherwise the holder
 * (a stale copy, or a rejected local create) is renamed `<value>~moved~<id>`.
 */
function upsert(
  sql: StatementCache,
  table: PullTable,
  row: PulledRow,
  params: NamedParams,
  work: Work,
): 'applied' | 'deferred' {
  const t = TABLES[table];
  try {
    sql.run(t.upsert, params);
    return 'applied';
  } catch (error) {
    if (t.unique === undefined || !isConstraint(error, 'SQLITE_CONSTRAINT_UNIQUE')) throw error;
    const value = params[t.unique];
    const id = String(params.id);
    const holder = sql.get1<{ id: string; login: number }>(
      `SELECT id, ${table === 'users' ? "password_hash <> ''" : '0'} AS login
         FROM ${table} WHERE ${t.unique} = @value AND id <> @id`,
      { value: value ?? null, id },
    );
    if (holder === undefined) throw error;
    // A holder with unsent local writes is not ours to rename: wait (retried each cycle).
    if (hasPending(sql, table, holder.id)) {
      park(sql, table, row, 'parent');
      return 'deferred';
    }
    if (table === 'users' && params.password_hash === '' && holder.login === 1) {
      sql.run(t.upsert, { ...params, username: `${String(value)}~${id}` });
      work.yielded.push({ id, username: String(value) });
      return 'applied';
    }
    sql.run(`UPDATE ${table} SET ${t.unique} = @moved WHERE id = @id`, {
      moved: `${String(value)}~moved~${holder.id}`,
      id: holder.id,
    });
    sql.run(t.upsert, params);
    return 'applied';
  }
}

/** Applies one pulled (or parked) row by the rules in the header. */
function applyRow(
  sql: StatementCache,
  table: PullTable,
  row: PulledRow,
  work: Work,
): 'applied' | 'deferred' {
  const { result } = work;
  noteClocks(row, result);
  const key = keyOf(table, row);
  if (hasPending(sql, table, key)) {
    deferRowSql(sql, table, row, 'pending');
    result.deferred += 1;
    return 'deferred';
  }
  const parked = readParked(sql, table, key);
  const chosen = parked && versionOf(parked.row) > versionOf(row) ? parked.row : row;
  const params = rowParams(table, chosen); // validates the row before anything else
  const missing = TABLES[table]
    .parents(chosen)
    .some(([parent, id]) => sql.get1(EXISTS[parent], { id }) === undefined);
  if (missing) {
    park(sql, table, chosen, 'parent');
    result.deferred += 1;
    return 'deferred';
  }
  const outcome = upsert(sql, table, chosen, params, work);
  if (outcome === 'applied') {
    if (parked) sql.run(SQL.unpark, { tbl: table, key });
    result.applied += 1;
  } else {
    result.deferred += 1;
  }
  return outcome;
}

/** Applies a delete (the row left the node's scope) by the rules in the header. */
function deleteRow(sql: StatementCache, table: PullTable, key: string, result: ApplyResult): void {
  if (hasPending(sql, table, key)) {
    result.skipped += 1;
    return;
  }
  sql.run(SQL.unpark, { tbl: table, key });
  try {
    if (sql.run(TABLES[table].delete, keyParams(table, key)) > 0) result.deleted += 1;
  } catch (error) {
    // Still referenced by a local row (FKs are immediate): the failed statement changed
    // nothing, and the row stays.
    if (!isConstraint(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw error;
    if (table === 'users') sql.run(SQL.revokeLogin, { id: key });
    result.skipped += 1;
  }
}

/**
 * `applyShapeBatch` inside an open transaction. `position` null applies the rows and
 * leaves the stored position as it is (a partial batch before an up-to-date: safe to
 * apply again after a restart, as every message is idempotent).
 */
export function applyShapeMessagesSql(
  sql: StatementCache,
  table: PullTable,
  messages: readonly PullMessage[],
  position: ShapePosition | null,
): ApplyResult {
  const work = newWork();
  for (const message of messages) {
    if (message.op === 'must-refetch') {
      sql.run(SQL.forgetPosition, { key: POSITION_KEY(table) });
    } else if (message.op === 'delete') {
      deleteRow(sql, table, keyOf(table, message.row), work.result);
    } else {
      applyRow(sql, table, message.row, work);
    }
  }
  restoreYielded(sql, work);
  if (position !== null) setMeta(sql, POSITION_KEY(table), JSON.stringify(position));
  return work.result;
}

/** Applies the parked `parent` rows whose parents are now here; returns how many. */
export function retryDeferredParentsSql(sql: StatementCache): number {
  const work = newWork();
  // Parents first, so a patient applied here unblocks its appointments in the same pass.
  for (const table of PULL_TABLES) {
    const parked = sql.all<{ key: string; value: string }>(SQL.parkedForParent, { tbl: table });
    for (const p of parked) applyRow(sql, table, JSON.parse(p.value) as PulledRow, work);
  }
  restoreYielded(sql, work);
  return work.result.applied;
}

/**
 * For each entity with no pending mutation any more, applies its `pending`-parked row
 * (which may park again for a missing parent). Returns how many rows were applied.
 */
export function releaseDeferredSql(sql: StatementCache, entityIds: readonly string[]): number {
  const work = newWork();
  for (const id of new Set(entityIds)) {
    if (sql.get1(SQL.pending, { id }) !== undefined) continue;
    for (const p of sql.all<{ tbl: PullTable; value: string }>(SQL.parkedPending, { key: id })) {
      sql.run(SQL.unpark, { tbl: p.tbl, key: id });
      applyRow(sql, p.tbl, JSON.parse(p.value) as PulledRow, work);
    }
  }
  restoreYielded(sql, work);
  return work.result.applied;
}

// ---- Store-level entry points (each one transaction on the writer) -----------------------

/** The stored position of `table`'s stream, or undefined (start from offset -1). */
export function readShapePosition(store: SqliteStore, table: PullTable): ShapePosition | undefined {
  const raw = store.readSql((sql) => getMeta(sql, POSITION_KEY(table)));
  if (raw === undefined) return undefined;
  const parsed = JSON.parse(raw) as Partial<ShapePosition>;
  if (typeof parsed.offset !== 'string' || typeof parsed.handle !== 'string') return undefined;
  return { offset: parsed.offset, handle: parsed.handle };
}

/**
 * Applies a batch of `table`'s messages and stores `position` (unless null) in ONE
 * transaction. Messages are applied in order.
 */
export function applyShapeBatch(
  store: SqliteStore,
  table: PullTable,
  messages: readonly PullMessage[],
  position: ShapePosition | null,
): Promise<ApplyResult> {
  return store.writeSql((sql) => applyShapeMessagesSql(sql, table, messages, position));
}

/** Applies the rows parked for a missing parent whose parents arrived, in one transaction. */
export function retryDeferredParents(store: SqliteStore): Promise<number> {
  return store.writeSql((sql) => retryDeferredParentsSql(sql));
}

/** Releases the `pending`-parked rows of entities that no longer have pending mutations. */
export function releaseDeferred(store: SqliteStore, entityIds: readonly string[]): Promise<number> {
  return store.writeSql((sql) => releaseDeferredSql(sql, entityIds));
}

/** Parks central's row of an entity (e.g. from a push answer), in its own transaction. */
export function deferRow(
  store: SqliteStore,
  table: PullTable,
  row: PulledRow,
  reason: DeferReason = 'pending',
): Promise<void> {
  return store.writeSql((sql) => deferRowSql(sql, table, row, reason));
}
