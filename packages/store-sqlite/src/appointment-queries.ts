/**
 * SQL for appointments: get (joined into an AppointmentView), the filtered and ordered
 * list, insert and update. Deleted rows (deleted_at set) are left out of every read but
 * `getAppointment(id, {includeDeleted: true})`. The overlap query is in overlap-query.ts.
 */
import type { AppointmentOrdering, AppointmentQuery, Page } from '@clinic/core';
import type { Appointment, AppointmentView } from '@clinic/domain';
import { containsPattern } from './like-pattern';
import { assertUpdated } from './missing-row';
import { readPage } from './paging';
import { appointmentToParams } from './row-mapping';
import type { StatementCache } from './statement-cache';
import { WhereClause } from './where-clause';

const COLUMNS =
  'id, patient, provider, facility, appointment_type, reason, status, start_time, end_time, ' +
  'created_by, deleted_at, clocks, origin_node, version, created_at, updated_at';

/** The three joins that give a view its names (the foreign keys guarantee a match). */
const JOINS = `
    JOIN patients   AS p ON p.id = a.patient
    JOIN users      AS u ON u.id = a.provider
    JOIN facilities AS f ON f.id = a.facility`;

// Every AppointmentView field; the row needs no conversion.
const SELECT_VIEW = `
  SELECT a.id, a.patient, a.provider, a.facility, a.appointment_type, a.reason, a.status,
         a.start_time, a.end_time, a.created_by, a.deleted_at, a.clocks, a.origin_node, a.version,
         a.created_at, a.updated_at,
         p.first_name AS patient_first_name, p.last_name AS patient_last_name,
         p.patient_id AS patient_mrn,
         u.first_name AS provider_first_name, u.last_name AS provider_last_name,
         u.user_type AS provider_user_type,
         f.name AS facility_name, f.timezone AS facility_timezone
    FROM appointments AS a ${JOINS}`;

const GET = `${SELECT_VIEW} WHERE a.id = @id AND a.deleted_at IS NULL`;
const GET_INCLUDING_DELETED = `${SELECT_VIEW} WHERE a.id = @id`;

/** Each ordering, with ties broken by id ascending so that pages are stable. */
const ORDER_BY: Record<AppointmentOrdering, string> = {
  start_time: 'a.start_time ASC, a.id ASC',
  '-start_time': 'a.start_time DESC, a.id ASC',
  created_at: 'a.created_at ASC, a.id ASC',
  '-created_at': 'a.created_at DESC, a.id ASC',
};

// The patient's MRN and names, and the provider's names; see AppointmentQuery.search.
const SEARCH = `(p.patient_id LIKE @search ESCAPE '\\'
  OR p.first_name LIKE @search ESCAPE '\\'
  OR p.last_name LIKE @search ESCAPE '\\'
  OR p.first_name || ' ' || p.last_name LIKE @search ESCAPE '\\'
  OR u.first_name LIKE @search ESCAPE '\\'
  OR u.last_name LIKE @search ESCAPE '\\'
  OR u.first_name || ' ' || u.last_name LIKE @search ESCAPE '\\')`;

const INSERT = `
  INSERT INTO appointments (${COLUMNS})
  VALUES (@id, @patient, @provider, @facility, @appointment_type, @reason, @status,
          @start_time, @end_time, @created_by, @deleted_at, @clocks, @origin_node, @version,
          @created_at, @updated_at)`;

const UPDATE = `
  UPDATE appointments
     SET patient = @patient, provider = @provider, facility = @facility,
         appointment_type = @appointment_type, reason = @reason, status = @status,
         start_time = @start_time, end_time = @end_time, created_by = @created_by,
         deleted_at = @deleted_at, clocks = @clocks, origin_node = @origin_node, version = @version,
         created_at = @created_at, updated_at = @updated_at
   WHERE id = @id`;

export function getAppointment(
  sql: StatementCache,
  id: string,
  options: { includeDeleted?: boolean } = {},
): AppointmentView | undefined {
  return sql.get1<AppointmentView>(options.includeDeleted ? GET_INCLUDING_DELETED : GET, { id });
}

/** The page of not-deleted appointments matching `query`, in `query.ordering`. */
export function listAppointments(
  sql: StatementCache,
  query: AppointmentQuery,
): Page<AppointmentView> {
  const where = new WhereClause().add('a.deleted_at IS NULL');
  if (query.provider !== undefined)
    where.add('a.provider = @provider', { provider: query.provider });
  if (query.patient !== undefined) where.add('a.patient = @patient', { patient: query.patient });
  if (query.facility !== undefined)
    where.add('a.facility = @facility', { facility: query.facility });
  if (query.status !== undefined) where.add('a.status = @status', { status: query.status });
  if (query.appointment_type !== undefined) {
    where.add('a.appointment_type = @appointment_type', {
      appointment_type: query.appointment_type,
    });
  }
  if (query.startsAfter !== undefined) {
    where.add('a.start_time > @starts_after', { starts_after: query.startsAfter });
  }
  if (query.startsFrom !== undefined) {
    where.add('a.start_time >= @starts_from', { starts_from: query.startsFrom });
  }
  if (query.startsBefore !== undefined) {
    where.add('a.start_time < @starts_before', { starts_before: query.startsBefore });
  }
  if (query.search) where.add(SEARCH, { search: containsPattern(query.search) });

  // The count only needs the joins when the search looks at the names.
  const countFrom = query.search
    ? `appointments AS a
    JOIN patients AS p ON p.id = a.patient
    JOIN users    AS u ON u.id = a.provider`
    : 'appointments AS a';
  const text = {
    count: `SELECT COUNT(*) AS count FROM ${countFrom} ${where.toSql()}`,
    rows:
      `${SELECT_VIEW} ${where.toSql()} ` +
      `ORDER BY ${ORDER_BY[query.ordering]} LIMIT @limit OFFSET @offset`,
  };
  return readPage(sql, text, where.params, query, (row: AppointmentView) => row);
}

export function insertAppointment(sql: StatementCache, row: Appointment): void {
  sql.run(INSERT, appointmentToParams(row));
}

/** Replaces every column, including status, deleted_at and version. */
export function updateAppointment(sql: StatementCache, row: Appointment): void {
  assertUpdated(sql.run(UPDATE, appointmentToParams(row)), 'appointment', row.id);
}
