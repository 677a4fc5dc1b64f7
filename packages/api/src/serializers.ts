/** Domain rows -> the JSON the API shows. Password hashes never leave through here. */
import type { AppointmentDetail, OverlapRow, ConflictCheck } from '@clinic/core';
import {
  CONFLICT_DIMENSIONS,
  durationMinutes,
  formatIsoDateTime,
  type AppointmentView,
  type ConflictRecord,
  type Facility,
  type Patient,
  type User,
} from '@clinic/domain';
import type { z } from 'zod';
import type {
  appointmentDetailOut,
  appointmentOut,
  conflictCheckOut,
  lateConflict,
} from './contracts/appointments';
import type { facilityOut, patientOut, userOut } from './contracts/directory';

const iso = formatIsoDateTime;

/** "Dr. Jane Smith" for doctors (as in the spec's example), "Jane Smith" otherwise. */
export function providerName(p: {
  first_name: string;
  last_name: string;
  user_type: string;
}): string {
  const name = `${p.first_name} ${p.last_name}`.trim();
  return p.user_type === 'doctor' ? `Dr. ${name}` : name;
}

export function serializeAppointment(
  a: AppointmentView,
  now: number,
): z.output<typeof appointmentOut> {
  return {
    id: a.id,
    patient: a.patient,
    patient_name: `${a.patient_first_name} ${a.patient_last_name}`.trim(),
    patient_mrn: a.patient_mrn,
    provider: a.provider,
    provider_name: providerName({
      first_name: a.provider_first_name,
      last_name: a.provider_last_name,
      user_type: a.provider_user_type,
    }),
    facility: a.facility,
    facility_name: a.facility_name,
    facility_timezone: a.facility_timezone,
    appointment_type: a.appointment_type,
    reason: a.reason,
    status: a.status,
    start_time: iso(a.start_time),
    end_time: iso(a.end_time),
    duration_minutes: durationMinutes(a),
    is_upcoming: a.status === 'scheduled' && a.start_time > now,
    created_by: a.created_by,
    origin_node: a.origin_node,
    version: a.version,
    created_at: iso(a.created_at),
    updated_at: iso(a.updated_at),
  };
}

export function serializeAppointmentDetail(
  a: AppointmentDetail,
  now: number,
): z.output<typeof appointmentDetailOut> {
  return {
    ...serializeAppointment(a, now),
    conflicts: a.conflicts.map(serializeLateConflict),
    ...(a.sync && { sync: a.sync }),
    notifications_sent: a.notifications_sent.map((n) => ({
      type: n.channel,
      recipient: n.recipient,
      method: n.channel,
      event: n.event,
      sent_at: iso(n.sent_at ?? n.created_at),
    })),
  };
}

function conflictItem(r: OverlapRow) {
  return {
    id: r.id,
    start_time: iso(r.start_time),
    end_time: iso(r.end_time),
    patient__first_name: r.patient_first_name,
    patient__last_name: r.patient_last_name,
  };
}

export function serializeConflictCheck(check: ConflictCheck): z.output<typeof conflictCheckOut> {
  const conflicts: z.output<typeof conflictCheckOut>['conflicts'] = {};
  for (const d of CONFLICT_DIMENSIONS) {
    const rows = check.conflicts[d];
    if (rows) conflicts[d] = rows.map(conflictItem);
  }
  return {
    has_conflicts: check.has_conflicts,
    conflicts,
    // Only when there are some: the spec's body is exactly {has_conflicts, conflicts}.
    ...(check.late_conflicts?.length && {
      late_conflicts: check.late_conflicts.map(serializeLateConflict),
    }),
  };
}

export function serializeLateConflict(r: ConflictRecord): z.output<typeof lateConflict> {
  return {
    id: r.id,
    kind: r.kind,
    appointments: r.appointment_b === null ? [r.appointment_a] : [r.appointment_a, r.appointment_b],
    status: r.status,
    detected_at: iso(r.detected_at),
  };
}

export function serializeFacility(f: Facility): z.output<typeof facilityOut> {
  return {
    id: f.id,
    name: f.name,
    timezone: f.timezone,
    capacity: f.capacity,
    is_active: f.is_active,
    created_at: iso(f.created_at),
    updated_at: iso(f.updated_at),
  };
}

export function serializeUser(u: User): z.output<typeof userOut> {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    user_type: u.user_type,
    first_name: u.first_name,
    last_name: u.last_name,
    email: u.email,
    phone_number: u.phone_number,
    facilities: u.facilities,
    is_active: u.is_active,
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
  };
}

export function serializePatient(p: Patient): z.output<typeof patientOut> {
  return {
    id: p.id,
    patient_id: p.patient_id,
    first_name: p.first_name,
    last_name: p.last_name,
    phone_number: p.phone_number,
    email: p.email,
    registered_facility: p.registered_facility,
    is_active: p.is_active,
    created_at: iso(p.created_at),
    updated_at: iso(p.updated_at),
  };
}
