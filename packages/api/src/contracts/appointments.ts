/** The appointment contract: request bodies, query parameters and response shapes. */
import { APPOINTMENT_STATUSES, APPOINTMENT_TYPES } from '@clinic/domain';
import { z } from 'zod';
import { dateTime, isoTimestamp, multilineText, pageQuery, searchText, uuid } from './common';

const fields = {
  patient: uuid,
  provider: uuid,
  facility: uuid,
  appointment_type: z.enum(APPOINTMENT_TYPES),
  reason: multilineText(1000),
  start_time: dateTime,
  end_time: dateTime,
};

export const appointmentCreate = z
  .object({
    ...fields,
    reason: fields.reason.default(''),
    // Said rather than silently dropped: a client that sends another status is mistaken.
    status: z
      .literal('scheduled', {
        error: 'A new appointment is always "scheduled"; change its status afterwards.',
      })
      .optional(),
  })
  .meta({ id: 'AppointmentCreate' });

/** PUT: every writable field (reason may be blank); `status` may move along the status machine. */
export const appointmentReplace = appointmentCreate
  .extend({ status: z.enum(APPOINTMENT_STATUSES).optional() })
  .meta({ id: 'AppointmentReplace' });

/** PATCH: any subset. */
export const appointmentPatch = z
  .object({
    patient: fields.patient.optional(),
    provider: fields.provider.optional(),
    facility: fields.facility.optional(),
    appointment_type: fields.appointment_type.optional(),
    reason: fields.reason.optional(),
    start_time: fields.start_time.optional(),
    end_time: fields.end_time.optional(),
    status: z.enum(APPOINTMENT_STATUSES).optional(),
  })
  .meta({ id: 'AppointmentPatch' });

/** A prospective booking to check before submitting it. */
export const slotCheck = z
  .object({
    patient: uuid,
    provider: uuid,
    facility: uuid,
    start_time: dateTime,
    end_time: dateTime,
    exclude: uuid
      .optional()
      .meta({ description: 'An appointment to leave out (the one being moved)' }),
  })
  .meta({ id: 'SlotCheck' });

export const appointmentOrdering = z.enum([
  'start_time',
  '-start_time',
  'created_at',
  '-created_at',
]);

export const appointmentListQuery = pageQuery.extend({
  provider: uuid.optional(),
  patient: uuid.optional(),
  facility: uuid.optional(),
  status: z.enum(APPOINTMENT_STATUSES).optional(),
  appointment_type: z.enum(APPOINTMENT_TYPES).optional(),
  search: searchText.optional(),
  start_time__gte: dateTime
    .optional()
    .meta({ description: 'Only appointments starting at or after this instant' }),
  start_time__lt: dateTime.optional().meta({ description: 'Only appointments starting before' }),
  ordering: appointmentOrdering.optional(),
});

export const notificationSent = z.object({
  type: z.enum(['email', 'sms']),
  recipient: z.enum(['patient', 'provider', 'admin']),
  method: z.enum(['email', 'sms']),
  event: z.string().meta({ description: 'created, updated, cancelled, reminder or conflict' }),
  sent_at: isoTimestamp,
});

export const appointmentOut = z
  .object({
    id: uuid,
    patient: uuid,
    patient_name: z.string(),
    patient_mrn: z
      .string()
      .meta({ description: "The patient's medical record number (patient_id)" }),
    provider: uuid,
    provider_name: z.string(),
    facility: uuid,
    facility_name: z.string(),
    facility_timezone: z.string(),
    appointment_type: z.enum(APPOINTMENT_TYPES),
    reason: z.string(),
    status: z.enum(APPOINTMENT_STATUSES),
    start_time: isoTimestamp,
    end_time: isoTimestamp,
    duration_minutes: z.number().int(),
    is_upcoming: z.boolean(),
    created_by: uuid.nullable(),
    origin_node: z.string(),
    version: z.number().int(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .meta({ id: 'Appointment' });

/** A late conflict as the appointment's detail and check-conflicts show it. */
export const lateConflict = z.object({
  id: uuid,
  kind: z.enum(['provider', 'patient', 'facility', 'edit']),
  appointments: z.array(uuid),
  status: z.enum(['open', 'resolved']),
  detected_at: isoTimestamp,
});

export const appointmentDetailOut = appointmentOut
  .extend({
    notifications_sent: z.array(notificationSent),
    conflicts: z
      .array(lateConflict)
      .meta({ description: 'Open late conflicts of this appointment (see /api/v1/conflicts/)' }),
    sync: z
      .object({
        state: z.enum(['synced', 'pending', 'rejected']),
        code: z.string().nullable(),
        message: z.string().nullable(),
      })
      .optional()
      .meta({
        description:
          'On a clinic node: pending until central has its changes; rejected (with why) when central refused the last one',
      }),
  })
  .meta({ id: 'AppointmentDetail' });

const conflictItem = z.object({
  id: uuid,
  start_time: isoTimestamp,
  end_time: isoTimestamp,
  patient__first_name: z.string(),
  patient__last_name: z.string(),
});

export const conflictCheckOut = z
  .object({
    has_conflicts: z.boolean(),
    conflicts: z.object({
      provider: z.array(conflictItem).optional(),
      patient: z.array(conflictItem).optional(),
      facility: z.array(conflictItem).optional(),
    }),
    late_conflicts: z
      .array(lateConflict)
      .optional()
      .meta({ description: 'Open late conflicts recorded by central for this appointment' }),
  })
  .meta({ id: 'ConflictCheck' });
