/**
 * listAppointments: a WHERE clause built from the optional filters (every value a
 * parameter), the patient/provider name search, ordering with an id tie-break, and
 * the page with its total (paging.ts).
 */
import type { AppointmentView } from '@clinic/domain';
import type { AppointmentOrdering, AppointmentQuery, Page } from '@clinic/core';
import type { Executor } from './executor';
import { APPOINTMENT_VIEW_COLUMNS, APPOINTMENT_VIEW_FROM, toAppointmentView } from './columns';
import { Params, containsPattern, lookupId } from './params';
import { searchAny, selectPage } from './paging';

const ORDER_BY: Record<AppointmentOrdering, string> = {
  start_time: 'a.start_time ASC, a.id ASC',
  '-start_time': 'a.start_time DESC, a.id ASC',
  created_at: 'a.created_at ASC, a.id ASC',
  '-created_at': 'a.created_at DESC, a.id ASC',
};

/** Patient MRN and names, provider names: what `search` matches (case-insensitive). */
const SEARCH_COLUMNS = [
  'p.patient_id',
  'p.first_name',
  'p.last_name',
  "p.first_name || ' ' || p.last_name",
  'u.first_name',
  'u.last_name',
  "u.first_name || ' ' || u.last_name",
];

/** The WHERE conditions of `query`; `needsJoins` when they read patient/provider names. */
function conditions(query: AppointmentQuery, params: Params) {
  const where = ['a.deleted_at IS NULL'];
  const equal = (column: string, value: unknown) => where.push(`${column} = ${params.add(value)}`);
  if (query.provider !== undefined) equal('a.provider', lookupId(query.provider));
  if (query.patient !== undefined) equal('a.patient', lookupId(query.patient));
  if (query.facility !== undefined) equal('a.facility', lookupId(query.facility));
  if (query.status !== undefined) equal('a.status', query.status);
  if (query.appointment_type !== undefined) equal('a.appointment_type', query.appointment_type);
  if (query.startsAfter !== undefined) {
    where.push(`a.start_time > ${params.addTime(query.startsAfter)}`);
  }
  if (query.startsFrom !== undefined) {
    where.push(`a.start_time >= ${params.addTime(query.startsFrom)}`);
  }
  if (query.startsBefore !== undefined) {
    where.push(`a.start_time < ${params.addTime(query.startsBefore)}`);
  }
  const search = query.search ?? '';
  if (search !== '') where.push(searchAny(SEARCH_COLUMNS, containsPattern(search), params));
  return { where, needsJoins: search !== '' };
}

export function listAppointments(
  ex: Executor,
  query: AppointmentQuery,
): Promise<Page<AppointmentView>> {
  const params = new Params();
  const { where, needsJoins } = conditions(query, params);
  return selectPage(
    ex,
    {
      columns: APPOINTMENT_VIEW_COLUMNS,
      from: APPOINTMENT_VIEW_FROM,
      // Without a name search the count needs no joins (every FK is enforced).
      countFrom: needsJoins ? APPOINTMENT_VIEW_FROM : 'appointments a',
      where,
      orderBy: ORDER_BY[query.ordering] ?? ORDER_BY.start_time,
    },
    params,
    query,
    toAppointmentView,
  );
}
