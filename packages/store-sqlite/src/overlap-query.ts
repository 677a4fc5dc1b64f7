/**
 * The double-booking query, the hot path of every booking: the active appointments
 * that share the provider, the patient or the facility of a candidate slot and overlap
 * its half-open window [start_time, end_time).
 *
 * It is three index range scans (appointments_provider_start, _patient_start and
 * _facility_start), one per dimension. Each is bounded on start_time: an appointment
 * that overlaps must start before the window ends and, because no appointment is longer
 * than `maxDurationMs`, no earlier than `start_time - maxDurationMs`. UNION merges the
 * three (an appointment can match on several dimensions; the duplicate rows are
 * identical, so UNION keeps one per id).
 *
 * The active filter is literal SQL (`status IN ('scheduled','no_show')`), never a bound
 * list, so SQLite can always plan it (see the index notes in 0001_init.sql).
 */
import type { OverlapQuery, OverlapRow } from '@clinic/core';
import type { StatementCache } from './statement-cache';

// Explicit aliases: the ORDER BY of a compound SELECT can only name result columns.
function branch(dimension: 'provider' | 'patient' | 'facility'): string {
  return `
  SELECT a.id AS id, a.provider AS provider, a.patient AS patient, a.facility AS facility,
         a.status AS status, a.start_time AS start_time, a.end_time AS end_time,
         p.first_name AS patient_first_name, p.last_name AS patient_last_name
    FROM appointments AS a
    JOIN patients AS p ON p.id = a.patient
   WHERE a.${dimension} = @${dimension}
     AND a.start_time >= @window_start
     AND a.start_time < @end_time
     AND a.end_time > @start_time
     AND a.status IN ('scheduled', 'no_show')
     AND a.deleted_at IS NULL
     AND a.id IS NOT @exclude_id`;
}

/** Exported for the EXPLAIN QUERY PLAN test. Parameters: see `overlapParams`. */
export const OVERLAP_SQL = `${branch('provider')}
  UNION
  ${branch('patient')}
  UNION
  ${branch('facility')}
  ORDER BY start_time, id`;

/** The named parameters of OVERLAP_SQL (`exclude_id` NULL excludes nothing). */
export function overlapParams(query: OverlapQuery) {
  return {
    provider: query.provider,
    patient: query.patient,
    facility: query.facility,
    start_time: query.start_time,
    end_time: query.end_time,
    window_start: query.start_time - query.maxDurationMs,
    exclude_id: query.excludeId ?? null,
  };
}

export function findActiveOverlapping(sql: StatementCache, query: OverlapQuery): OverlapRow[] {
  return sql.all<OverlapRow>(OVERLAP_SQL, overlapParams(query));
}
