/**
 * SQL for conflict records on a clinic node. Conflicts are central's
 * (sync/SPEC.md section 3): a node reads its copy, which the sync applier writes; the
 * upsert exists for the port's contract and the conformance suite.
 */
import type { ConflictQuery, Page } from '@clinic/core';
import type { ConflictRecord, ConflictStatus } from '@clinic/domain';
import { assertUpdated } from './missing-row';
import { readPage } from './paging';
import type { StatementCache } from './statement-cache';

export const CONFLICT_COLUMNS =
  'id, kind, appointment_a, appointment_b, status, detected_at, resolved_at, resolution, ' +
  'details, version, updated_at';

const VALUES =
  '@id, @kind, @appointment_a, @appointment_b, @status, @detected_at, @resolved_at, ' +
  '@resolution, @details, @version, @updated_at';

const GET = `SELECT ${CONFLICT_COLUMNS} FROM conflicts WHERE id = @id`;

const OF_APPOINTMENT = `
  SELECT ${CONFLICT_COLUMNS} FROM conflicts
   WHERE (appointment_a = @id OR appointment_b = @id) AND (@status IS NULL OR status = @status)
   ORDER BY detected_at, id`;

const UPDATE = `
  UPDATE conflicts
     SET kind = @kind, appointment_a = @appointment_a, appointment_b = @appointment_b,
         status = @status, detected_at = @detected_at, resolved_at = @resolved_at,
         resolution = @resolution, details = @details, version = @version,
         updated_at = @updated_at
   WHERE id = @id`;

/** Conflict rows need no conversion when read. */
function params(row: ConflictRecord) {
  return { ...row };
}

export function getConflict(sql: StatementCache, id: string): ConflictRecord | undefined {
  return sql.get1<ConflictRecord>(GET, { id });
}

export function listConflicts(sql: StatementCache, query: ConflictQuery): Page<ConflictRecord> {
  const where = query.status === undefined ? '' : 'WHERE status = @status';
  return readPage<ConflictRecord, ConflictRecord>(
    sql,
    {
      count: `SELECT COUNT(*) AS count FROM conflicts ${where}`,
      rows: `SELECT ${CONFLICT_COLUMNS} FROM conflicts ${where}
              ORDER BY detected_at, id LIMIT @limit OFFSET @offset`,
    },
    query.status === undefined ? {} : { status: query.status },
    query,
    (r) => r,
  );
}

export function conflictsOfAppointment(
  sql: StatementCache,
  id: string,
  status?: ConflictStatus,
): ConflictRecord[] {
  return sql.all<ConflictRecord>(OF_APPOINTMENT, { id, status: status ?? null });
}

/** Inserts or updates by id (a node has no dedupe keys: central made them unique). */
export function upsertConflict(sql: StatementCache, row: ConflictRecord): ConflictRecord {
  const existing = getConflict(sql, row.id);
  if (existing) return existing;
  sql.run(`INSERT INTO conflicts (${CONFLICT_COLUMNS}) VALUES (${VALUES})`, params(row));
  return row;
}

export function updateConflict(sql: StatementCache, row: ConflictRecord): void {
  assertUpdated(sql.run(UPDATE, params(row)), 'conflict', row.id);
}
