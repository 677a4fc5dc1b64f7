/**
 * Conversions between domain records and SQLite rows. SQLite has no boolean type and
 * better-sqlite3 refuses to bind one, so booleans travel as 0/1; a user's facility
 * links arrive as a JSON array built by the query. Everything else maps one to one.
 *
 * The `...ToParams` functions list every column explicitly: better-sqlite3 binds a
 * missing property as NULL, so spreading a record could silently store NULLs.
 */
import type { Appointment, Facility, Notification, Patient, User } from '@clinic/domain';

/** What SQLite stores for a boolean. */
export type SqlBool = 0 | 1;

export function toSqlBool(value: boolean): SqlBool {
  return value ? 1 : 0;
}

export function fromSqlBool(value: number): boolean {
  return value !== 0;
}

export type FacilityRow = Omit<Facility, 'is_active'> & { is_active: number };

export function facilityFromRow(row: FacilityRow): Facility {
  return { ...row, is_active: fromSqlBool(row.is_active) };
}

export function facilityToParams(f: Facility) {
  return {
    id: f.id,
    name: f.name,
    timezone: f.timezone,
    capacity: f.capacity,
    is_active: toSqlBool(f.is_active),
    origin_node: f.origin_node,
    version: f.version,
    created_at: f.created_at,
    updated_at: f.updated_at,
  };
}

/** A users row plus `facilities`: the JSON array of its facility ids, sorted. */
export type UserRow = Omit<User, 'is_active' | 'facilities'> & {
  is_active: number;
  facilities: string;
};

export function userFromRow(row: UserRow): User {
  return {
    ...row,
    is_active: fromSqlBool(row.is_active),
    facilities: JSON.parse(row.facilities) as string[],
  };
}

/** The users columns; the facility links go to user_facilities separately. */
export function userToParams(u: User) {
  return {
    id: u.id,
    username: u.username,
    password_hash: u.password_hash,
    role: u.role,
    user_type: u.user_type,
    first_name: u.first_name,
    last_name: u.last_name,
    email: u.email,
    phone_number: u.phone_number,
    is_active: toSqlBool(u.is_active),
    origin_node: u.origin_node,
    version: u.version,
    created_at: u.created_at,
    updated_at: u.updated_at,
  };
}

export type PatientRow = Omit<Patient, 'is_active'> & { is_active: number };

export function patientFromRow(row: PatientRow): Patient {
  return { ...row, is_active: fromSqlBool(row.is_active) };
}

export function patientToParams(p: Patient) {
  return {
    id: p.id,
    patient_id: p.patient_id,
    first_name: p.first_name,
    last_name: p.last_name,
    phone_number: p.phone_number,
    email: p.email,
    registered_facility: p.registered_facility,
    is_active: toSqlBool(p.is_active),
    clocks: p.clocks,
    origin_node: p.origin_node,
    version: p.version,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

/** Appointment rows need no conversion when read; this picks the columns to write. */
export function appointmentToParams(a: Appointment) {
  return {
    id: a.id,
    patient: a.patient,
    provider: a.provider,
    facility: a.facility,
    appointment_type: a.appointment_type,
    reason: a.reason,
    status: a.status,
    start_time: a.start_time,
    end_time: a.end_time,
    created_by: a.created_by,
    deleted_at: a.deleted_at,
    clocks: a.clocks,
    origin_node: a.origin_node,
    version: a.version,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

/** Notification rows need no conversion when read; this picks the columns to write. */
export function notificationToParams(n: Notification) {
  return {
    id: n.id,
    appointment_id: n.appointment_id,
    event: n.event,
    recipient: n.recipient,
    channel: n.channel,
    address: n.address,
    dedupe_key: n.dedupe_key,
    status: n.status,
    attempts: n.attempts,
    created_at: n.created_at,
    sent_at: n.sent_at,
    owner: n.owner,
    next_attempt_at: n.next_attempt_at,
    last_error: n.last_error,
    conflict_id: n.conflict_id,
    reminder_for: n.reminder_for,
    updated_at: n.updated_at,
  };
}
