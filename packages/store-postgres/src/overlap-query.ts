/**
 * findActiveOverlapping: three index range scans (provider, patient, facility; each on
 * its `(dimension, start_time)` index) bounded on start_time by the longest possible
 * appointment, combined with UNION ALL and de-duplicated by id through a semi-join,
 * then joined with patients for the names that check-conflicts reports.
 */
import type { OverlapQuery, OverlapRow } from '@clinic/core';
import type { Executor } from './executor';
import { toOverlapRow } from './columns';
import { lookupId } from './params';
import { msColumn, tsParam } from './sql-time';

// $1 lower bound of start_time (start - maxDuration), $2 candidate start, $3 candidate
// end, $4 provider, $5 patient, $6 facility, $7 the appointment to exclude (or null).
const ACTIVE_IN_WINDOW =
  `status IN ('scheduled', 'no_show') AND deleted_at IS NULL ` +
  `AND start_time >= ${tsParam('$1')} AND start_time < ${tsParam('$3')} ` +
  `AND end_time > ${tsParam('$2')}`;

export const OVERLAP_SQL = `
  SELECT a.id, a.provider, a.patient, a.facility, a.status,
         ${msColumn('a.start_time')} AS start_time, ${msColumn('a.end_time')} AS end_time,
         p.first_name AS patient_first_name, p.last_name AS patient_last_name
    FROM appointments a
    JOIN patients p ON p.id = a.patient
   WHERE a.id IN (
           SELECT id FROM appointments WHERE provider = $4 AND ${ACTIVE_IN_WINDOW}
           UNION ALL
           SELECT id FROM appointments WHERE patient = $5 AND ${ACTIVE_IN_WINDOW}
           UNION ALL
           SELECT id FROM appointments WHERE facility = $6 AND ${ACTIVE_IN_WINDOW}
         )
     AND ($7::uuid IS NULL OR a.id <> $7::uuid)
   ORDER BY a.start_time, a.id`;

/** The parameters of OVERLAP_SQL for `query`. */
export function overlapParams(query: OverlapQuery): unknown[] {
  return [
    query.start_time - query.maxDurationMs,
    query.start_time,
    query.end_time,
    lookupId(query.provider),
    lookupId(query.patient),
    lookupId(query.facility),
    query.excludeId === undefined ? null : lookupId(query.excludeId),
  ];
}

export async function findActiveOverlapping(
  ex: Executor,
  query: OverlapQuery,
): Promise<OverlapRow[]> {
  const rows = await ex.query(OVERLAP_SQL, overlapParams(query));
  return rows.map(toOverlapRow);
}
