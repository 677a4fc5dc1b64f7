/**
 * The schedule's range query straight on the node's SQLite file with better-sqlite3 (no
 * HTTP, no framework, no adapter), run while the node is idle, read-only:
 *
 * - `plain`: one statement, every row of the range, the appointments columns only:
 *   SELECT <columns> FROM appointments WHERE facility = ? AND start_time >= ? AND
 *   start_time < ? AND deleted_at IS NULL ORDER BY start_time, id
 * - `store SQL`: what the adapter runs for each page the page asks for
 *   (packages/store-sqlite/src/appointment-queries.ts listAppointments + paging.ts
 *   readPage): in one deferred transaction, the COUNT(*) and the page of the view joined
 *   with patients, users and facilities (LIMIT 100 OFFSET 100 * (page - 1)), page after
 *   page until the last. It shows how much of the HTTP time is SQL.
 */
import Database from 'better-sqlite3';
import { summarize, type LatencySummary } from './stats';
import type { ScheduleRange } from './ui-zone';

// The adapter's columns (appointment-queries.ts COLUMNS).
const COLUMNS =
  'id, patient, provider, facility, appointment_type, reason, status, start_time, end_time, ' +
  'created_by, deleted_at, clocks, origin_node, version, created_at, updated_at';

const PLAIN = `
  SELECT ${COLUMNS}
    FROM appointments
   WHERE facility = ? AND start_time >= ? AND start_time < ? AND deleted_at IS NULL
   ORDER BY start_time, id`;

// As listAppointments builds it for {facility, startsFrom, startsBefore, ordering start_time}.
const WHERE =
  'WHERE a.deleted_at IS NULL AND a.facility = @facility ' +
  'AND a.start_time >= @starts_from AND a.start_time < @starts_before';
const STORE_COUNT = `SELECT COUNT(*) AS count FROM appointments AS a ${WHERE}`;
const STORE_PAGE = `
  SELECT a.id, a.patient, a.provider, a.facility, a.appointment_type, a.reason, a.status,
         a.start_time, a.end_time, a.created_by, a.deleted_at, a.clocks, a.origin_node, a.version,
         a.created_at, a.updated_at,
         p.first_name AS patient_first_name, p.last_name AS patient_last_name,
         p.patient_id AS patient_mrn,
         u.first_name AS provider_first_name, u.last_name AS provider_last_name,
         u.user_type AS provider_user_type,
         f.name AS facility_name, f.timezone AS facility_timezone
    FROM appointments AS a
    JOIN patients   AS p ON p.id = a.patient
    JOIN users      AS u ON u.id = a.provider
    JOIN facilities AS f ON f.id = a.facility
  ${WHERE}
   ORDER BY a.start_time ASC, a.id ASC LIMIT @limit OFFSET @offset`;

const PAGE_SIZE = 100;
const WARMUP = 20;

export interface RawRangeResult {
  range: 'day' | 'week';
  variant: 'plain' | 'store SQL';
  rows: number;
  ids: string[];
  latency: LatencySummary;
  /** EXPLAIN QUERY PLAN of the statement (the page statement for `store SQL`). */
  plan: string[];
}

export function benchRawRanges(
  dbFile: string,
  facility: string,
  ranges: ScheduleRange[],
  samples: number,
): RawRangeResult[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const plain = db.prepare<[string, number, number], { id: string }>(PLAIN);
    const count = db.prepare<[Record<string, unknown>], { count: number }>(STORE_COUNT);
    const page = db.prepare<[Record<string, unknown>], { id: string }>(STORE_PAGE);
    const planOf = (sql: string, params: unknown[]) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => (r as { detail: string }).detail);

    const out: RawRangeResult[] = [];
    for (const range of ranges) {
      const runPlain = () => plain.all(facility, range.from, range.before);
      const params = { facility, starts_from: range.from, starts_before: range.before };
      const runStore = db
        .transaction(() => {
          const total = count.get(params)?.count ?? 0;
          const rows: { id: string }[] = [];
          const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
          for (let p = 0; p < pages; p += 1) {
            rows.push(...page.all({ ...params, limit: PAGE_SIZE, offset: p * PAGE_SIZE }));
          }
          return rows;
        })
        .deferred.bind(null);
      const variants = [
        {
          variant: 'plain' as const,
          run: runPlain,
          plan: planOf(PLAIN, [facility, range.from, range.before]),
        },
        {
          variant: 'store SQL' as const,
          run: runStore,
          plan: planOf(STORE_PAGE, [{ ...params, limit: PAGE_SIZE, offset: 0 }]),
        },
      ];
      for (const v of variants) {
        for (let i = 0; i < WARMUP; i += 1) v.run();
        const times: number[] = [];
        let rows: { id: string }[] = [];
        for (let i = 0; i < samples; i += 1) {
          const t0 = performance.now();
          rows = v.run();
          times.push(performance.now() - t0);
        }
        out.push({
          range: range.label,
          variant: v.variant,
          rows: rows.length,
          ids: rows.map((r) => r.id),
          latency: summarize(times),
          plan: v.plan,
        });
      }
    }
    return out;
  } finally {
    db.close();
  }
}
