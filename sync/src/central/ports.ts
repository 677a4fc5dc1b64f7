/**
 * What central's sync needs from its database, as ports that the storage adapters
 * implement structurally (store-postgres must not import @clinic/sync). Each port is kept
 * in its own block.
 */
import type { ShapeTable } from '../protocol';

// ---- Shape source: the pull side (sync/SPEC.md section 5) ---------------------------------

/** A node's scope: central evaluates it; nothing the node sends widens it. */
export interface ShapeScope {
  facilities: readonly string[];
}

/** A row in PostgreSQL text format: column -> text value or null (booleans `t`/`f`). */
export type ShapeValue = Record<string, string | null>;

/**
 * One row of a shape. `key` is the row's id (uuid text), or `<user_id>:<facility_id>` for
 * user_facilities.
 */
export interface ShapeRow {
  key: string;
  value: ShapeValue;
}

/** PostgreSQL type names, as the `electric-schema` header carries them. */
export type ShapeColumnType = 'uuid' | 'text' | 'int4' | 'int8' | 'bool' | 'timestamptz';

/** One served column. `pkIndex` is set for the key columns (0, 1, ...). */
export interface ShapeColumn {
  name: string;
  type: ShapeColumnType;
  notNull: boolean;
  pkIndex?: number;
}

export interface ShapeSnapshotPage {
  /**
   * The change-log position the rows are at least as new as: every change with a seq up
   * to `head` is reflected in these rows (later ones may be too; replaying them is
   * harmless). Continue with `changes(afterSeq = head)` once the snapshot is done.
   */
  head: number;
  /** In scope, ordered by key, at most `limit`, all keys after `afterKey`. */
  rows: ShapeRow[];
}

/** A change-log entry as the node must see it, the row in its CURRENT state. */
export type ShapeChange =
  | { seq: number; key: string; op: 'update'; value: ShapeValue }
  | { seq: number; key: string; op: 'delete' };

export interface ShapeChangesPage {
  /** The change-log head this page was read against (every seq <= head is final). */
  head: number;
  /**
   * The seq this page covers up to: the next request continues after it. Equals `head`
   * when the page reached the end of the log; else the seq of the last entry scanned
   * (entries that were skipped, being out of scope, advance it too).
   */
  upTo: number;
  /** In seq order; several entries of one key in a page are collapsed into the last. */
  entries: ShapeChange[];
}

export interface ShapeSourcePort {
  /** The columns served for `table`, in order (they are the keys of every value). */
  columns(table: ShapeTable): readonly ShapeColumn[];
  /**
   * One snapshot page: rows in scope with a key after `afterKey` (null: from the start),
   * ordered by key.
   */
  snapshot(
    table: ShapeTable,
    scope: ShapeScope,
    afterKey: string | null,
    limit: number,
  ): Promise<ShapeSnapshotPage>;
  /**
   * Change-log entries of `table` after `afterSeq` (at most `limit` scanned), each as an
   * `update` with the row's current state when it is in scope, or a `delete` when the
   * change may have moved it out of scope and it is not in scope now.
   */
  changes(
    table: ShapeTable,
    scope: ShapeScope,
    afterSeq: number,
    limit: number,
  ): Promise<ShapeChangesPage>;
  /**
   * Without `table`: the last change-log seq handed out (0 when none); no valid offset is
   * beyond it. With `table`: the last committed seq of that table's entries (cheap; the
   * live long-poll polls it).
   */
  head(table?: ShapeTable): Promise<number>;
}

// ---- End of the shape source block -----------------------------------------------------------
