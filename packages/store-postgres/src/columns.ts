/**
 * The SELECT lists of each table, with times read as epoch ms, and the mappers from a
 * driver row to the domain records. Column aliases equal the domain field names.
 */
import type { AppointmentView, Facility, Notification, Patient, User } from '@clinic/domain';
import type { OverlapRow } from '@clinic/core';
import type { Row } from './executor';
import { msColumn } from './sql-time';

function versioned(alias: string): string {
  return [
    `${alias}.origin_node`,
    `${alias}.version`,
    `${msColumn(`${alias}.created_at`)} AS created_at`,
    `${msColumn(`${alias}.updated_at`)} AS updated_at`,
  ].join(', ');
}

export const FACILITY_COLUMNS = `f.id, f.name, f.timezone, f.capacity, f.is_active, ${versioned('f')}`;

export const USER_COLUMNS =
  `u.id, u.username, u.password_hash, u.role, u.user_type, u.first_name, u.last_name, ` +
  `u.email, u.phone_number, u.is_active, ${versioned('u')}, ` +
  `ARRAY(SELECT uf.facility_id::text FROM user_facilities uf ` +
  `WHERE uf.user_id = u.id ORDER BY uf.facility_id) AS facilities`;

export const PATIENT_COLUMNS =
  `p.id, p.patient_id, p.first_name, p.last_name, p.phone_number, p.email, ` +
  `p.registered_facility, p.is_active, p.clocks, ${versioned('p')}`;

/** Needs `a` (appointments) joined with `p` (patients), `u` (users) and `f` (facilities). */
export const APPOINTMENT_VIEW_COLUMNS =
  `a.id, a.patient, a.provider, a.facility, a.appointment_type, a.reason, a.status, ` +
  `${msColumn('a.start_time')} AS start_time, ${msColumn('a.end_time')} AS end_time, ` +
  `a.created_by, ${msColumn('a.deleted_at')} AS deleted_at, a.clocks, ${versioned('a')}, ` +
  `p.first_name AS patient_first_name, p.last_name AS patient_last_name, ` +
  `p.patient_id AS patient_mrn, u.first_name AS provider_first_name, ` +
  `u.last_name AS provider_last_name, u.user_type AS provider_user_type, ` +
  `f.name AS facility_name, f.timezone AS facility_timezone`;

export const APPOINTMENT_VIEW_FROM =
  'appointments a JOIN patients p ON p.id = a.patient ' +
  'JOIN users u ON u.id = a.provider JOIN facilities f ON f.id = a.facility';

export const NOTIFICATION_COLUMNS =
  `n.id, n.appointment_id, n.event, n.recipient, n.channel, n.address, n.dedupe_key, ` +
  `n.status, n.attempts, ${msColumn('n.created_at')} AS created_at, ` +
  `${msColumn('n.sent_at')} AS sent_at, n.owner, ` +
  `${msColumn('n.next_attempt_at')} AS next_attempt_at, n.last_error, n.conflict_id, ` +
  `${msColumn('n.reminder_for')} AS reminder_for, ${msColumn('n.updated_at')} AS updated_at`;

// The drivers already return the JS types (uuid/text -> string, int4 -> number, bool ->
// boolean, float8 -> number, text[] -> string[]); the mappers pick exactly the domain's
// fields so that helper columns (a page's total) never leak into a record.

function pickVersioned(r: Row) {
  return {
    origin_node: r.origin_node as string,
    version: r.version as number,
    created_at: r.created_at as number,
    updated_at: r.updated_at as number,
  };
}

export function toFacility(r: Row): Facility {
  return {
    id: r.id as string,
    name: r.name as string,
    timezone: r.timezone as string,
    capacity: r.capacity as number,
    is_active: r.is_active as boolean,
    ...pickVersioned(r),
  };
}

export function toUser(r: Row): User {
  return {
    id: r.id as string,
    username: r.username as string,
    password_hash: r.password_hash as string,
    role: r.role as User['role'],
    user_type: r.user_type as User['user_type'],
    first_name: r.first_name as string,
    last_name: r.last_name as string,
    email: r.email as string,
    phone_number: r.phone_number as string,
    facilities: r.facilities as string[],
    is_active: r.is_active as boolean,
    ...pickVersioned(r),
  };
}

export function toPatient(r: Row): Patient {
  return {
    id: r.id as string,
    patient_id: r.patient_id as string,
    first_name: r.first_name as string,
    last_name: r.last_name as string,
    phone_number: r.phone_number as string,
    email: r.email as string,
    registered_facility: r.registered_facility as string | null,
    is_active: r.is_active as boolean,
    clocks: r.clocks as string,
    ...pickVersioned(r),
  };
}

export function toAppointmentView(r: Row): AppointmentView {
  return {
    id: r.id as string,
    patient: r.patient as string,
    provider: r.provider as string,
    facility: r.facility as string,
    appointment_type: r.appointment_type as AppointmentView['appointment_type'],
    reason: r.reason as string,
    status: r.status as AppointmentView['status'],
    start_time: r.start_time as number,
    end_time: r.end_time as number,
    created_by: r.created_by as string | null,
    deleted_at: r.deleted_at as number | null,
    clocks: r.clocks as string,
    ...pickVersioned(r),
    patient_first_name: r.patient_first_name as string,
    patient_last_name: r.patient_last_name as string,
    patient_mrn: r.patient_mrn as string,
    provider_first_name: r.provider_first_name as string,
    provider_last_name: r.provider_last_name as string,
    provider_user_type: r.provider_user_type as AppointmentView['provider_user_type'],
    facility_name: r.facility_name as string,
    facility_timezone: r.facility_timezone as string,
  };
}

export function toOverlapRow(r: Row): OverlapRow {
  return {
    id: r.id as string,
    provider: r.provider as string,
    patient: r.patient as string,
    facility: r.facility as string,
    status: r.status as OverlapRow['status'],
    start_time: r.start_time as number,
    end_time: r.end_time as number,
    patient_first_name: r.patient_first_name as string,
    patient_last_name: r.patient_last_name as string,
  };
}

export function toNotification(r: Row): Notification {
  return {
    id: r.id as string,
    appointment_id: r.appointment_id as string,
    event: r.event as Notification['event'],
    recipient: r.recipient as Notification['recipient'],
    channel: r.channel as Notification['channel'],
    address: r.address as string,
    dedupe_key: r.dedupe_key as string,
    status: r.status as Notification['status'],
    attempts: r.attempts as number,
    created_at: r.created_at as number,
    sent_at: r.sent_at as number | null,
    owner: r.owner as string,
    next_attempt_at: r.next_attempt_at as number,
    last_error: r.last_error as string | null,
    conflict_id: r.conflict_id as string | null,
    reminder_for: r.reminder_for as number | null,
    updated_at: r.updated_at as number,
  };
}
