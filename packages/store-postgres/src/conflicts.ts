/**
 * Conflict records on central (sync/SPEC.md section 3): reads for the API and the
 * reconciler, and the upsert that keeps one record per pair and kind (dedupe_key).
 */
import type { ConflictQuery, Page } from '@clinic/core';
import type { ConflictRecord, ConflictStatus } from '@clinic/domain';
import type { Executor, Row } from './executor';
import { Params, lookupId } from './params';
import { selectPage } from './paging';
import { insertStatement, updateStatement } from './row-statements';
import { msColumn } from './sql-time';

export const CONFLICT_COLUMNS =
  `c.id, c.kind, c.appointment_a::text AS appointment_a, c.appointment_b::text AS appointment_b, ` +
  `c.status, ${msColumn('c.detected_at')} AS detected_at, ` +
  `${msColumn('c.resolved_at')} AS resolved_at, c.resolution, c.details, c.version, ` +
  `${msColumn('c.updated_at')} AS updated_at`;

export function toConflict(r: Row): ConflictRecord {
  return {
    id: r.id as string,
    kind: r.kind as ConflictRecord['kind'],
    appointment_a: r.appointment_a as string,
    appointment_b: r.appointment_b as string | null,
    status: r.status as ConflictStatus,
    detected_at: r.detected_at as number,
    resolved_at: r.resolved_at as number | null,
    resolution: r.resolution as string | null,
    details: r.details as string,
    version: r.version as number,
    updated_at: r.updated_at as number,
  };
}

export function conflictReads(ex: Executor) {
  return {
    /** Central is the source of truth: nothing of its own waits for anyone. */
    syncStateOf(): Promise<undefined> {
      return Promise.resolve(undefined);
    },

    async getConflict(id: string): Promise<ConflictRecord | undefined> {
      const [row] = await ex.query(`SELECT ${CONFLICT_COLUMNS} FROM conflicts c WHERE c.id = $1`, [
        lookupId(id),
      ]);
      return row && toConflict(row);
    },

    listConflicts(query: ConflictQuery): Promise<Page<ConflictRecord>> {
      const params = new Params();
      const where = query.status === undefined ? [] : [`c.status = ${params.add(query.status)}`];
      return selectPage(
        ex,
        { columns: CONFLICT_COLUMNS, from: 'conflicts c', where, orderBy: 'c.detected_at, c.id' },
        params,
        query,
        toConflict,
      );
    },

    async conflictsOfAppointment(id: string, status?: ConflictStatus): Promise<ConflictRecord[]> {
      const key = lookupId(id);
      const rows = await ex.query(
        `SELECT ${CONFLICT_COLUMNS} FROM conflicts c
          WHERE (c.appointment_a = $1 OR c.appointment_b = $1) AND ($2::text IS NULL OR c.status = $2)
          ORDER BY c.detected_at, c.id`,
        [key, status ?? null],
      );
      return rows.map(toConflict);
    },
  };
}

export function conflictWrites(ex: Executor) {
  return {
    async upsertConflict(row: ConflictRecord, dedupeKey: string): Promise<ConflictRecord> {
      const params = new Params();
      // The generated column list plus the dedupe key, which only inserts write.
      const insert = insertStatement('conflicts', [row], params)
        .replace(') VALUES (', ', dedupe_key) VALUES (')
        .replace(/\)$/, `, ${params.add(dedupeKey)})`);
      const inserted = await ex.query(
        `${insert} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        params.values,
      );
      if (inserted.length === 1) return row;
      const [existing] = await ex.query(
        `SELECT ${CONFLICT_COLUMNS} FROM conflicts c WHERE c.dedupe_key = $1`,
        [dedupeKey],
      );
      if (!existing) throw new Error(`conflict ${dedupeKey} vanished`);
      return toConflict(existing);
    },

    async updateConflict(row: ConflictRecord): Promise<void> {
      const params = new Params();
      const rows = await ex.query(
        `${updateStatement('conflicts', row, params)} RETURNING id`,
        params.values,
      );
      if (rows.length !== 1) throw new Error(`Cannot update conflict ${row.id}: no such row.`);
    },

    appendOutbox(): Promise<number> {
      return Promise.reject(new Error('Central has no outbox: only clinic nodes push.'));
    },
  };
}
