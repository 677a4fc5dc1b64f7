/**
 * Validation of an appointment's fields against the people and place it names.
 * Returns every problem at once, in the spec's `{field: [messages]}` shape.
 */
import { addFieldError, type FieldErrors } from './errors';
import {
  PROVIDER_USER_TYPES,
  type AppointmentType,
  type Facility,
  type Patient,
  type User,
} from './model';
import { HOUR_MS, MINUTE_MS, TIME_RANGE_MESSAGE, isWithinTimeRange } from './time';

/** The shortest appointment the spec allows. */
export const MIN_DURATION_MS = 5 * MINUTE_MS;
/**
 * The longest appointment accepted: 12 hours (a full outreach day). It also bounds
 * every overlap query: an appointment that overlaps [start, end) must have
 * start_time >= start - MAX_DURATION_MS, so the query is a short index range scan.
 */
export const MAX_DURATION_MS = 12 * HOUR_MS;

/** What a booking (new or changed) will look like, plus the rows it references. */
export interface AppointmentCandidate {
  start_time: number;
  end_time: number;
  appointment_type: AppointmentType;
  patient: Patient | undefined;
  provider: User | undefined;
  facility: Facility | undefined;
}

export interface ValidationContext {
  now: number;
  /**
   * Whether "start_time must be in the future" applies: true where a booking is made or
   * its times are changed; false when central replays a mutation made earlier offline.
   */
  requireFuture: boolean;
}

/** Problems with the candidate's references (existence, activity, eligibility). */
export function validateReferences(c: AppointmentCandidate, errors: FieldErrors): void {
  if (c.patient === undefined) addFieldError(errors, 'patient', 'Patient does not exist.');
  else if (!c.patient.is_active) addFieldError(errors, 'patient', 'Patient is not active.');

  if (c.provider === undefined) addFieldError(errors, 'provider', 'Provider does not exist.');
  else {
    if (!c.provider.is_active) addFieldError(errors, 'provider', 'Provider is not active.');
    if (!PROVIDER_USER_TYPES.includes(c.provider.user_type)) {
      addFieldError(
        errors,
        'provider',
        `Provider must be a ${PROVIDER_USER_TYPES.join(', ')}; this user is a ${c.provider.user_type}.`,
      );
    }
  }

  if (c.facility === undefined) addFieldError(errors, 'facility', 'Facility does not exist.');
  else if (!c.facility.is_active) addFieldError(errors, 'facility', 'Facility is not active.');
}

/** Problems with the candidate's times. */
export function validateTimes(
  c: Pick<AppointmentCandidate, 'start_time' | 'end_time'>,
  ctx: ValidationContext,
  errors: FieldErrors,
): void {
  for (const field of ['start_time', 'end_time'] as const) {
    if (!isWithinTimeRange(c[field])) addFieldError(errors, field, TIME_RANGE_MESSAGE);
  }
  if (ctx.requireFuture && c.start_time <= ctx.now) {
    addFieldError(errors, 'start_time', 'Start time must be in the future.');
  }
  const duration = c.end_time - c.start_time;
  if (duration <= 0) {
    addFieldError(errors, 'end_time', 'End time must be after start time.');
  } else if (duration < MIN_DURATION_MS) {
    addFieldError(errors, 'end_time', 'Appointment must be at least 5 minutes long.');
  } else if (duration > MAX_DURATION_MS) {
    addFieldError(errors, 'end_time', 'Appointment cannot be longer than 12 hours.');
  }
}

/** Every validation problem of a candidate booking; empty when it may be booked. */
export function validateAppointment(c: AppointmentCandidate, ctx: ValidationContext): FieldErrors {
  const errors: FieldErrors = {};
  validateTimes(c, ctx, errors);
  validateReferences(c, errors);
  return errors;
}

/** Whole minutes between start and end (the spec's `duration_minutes`). */
export function durationMinutes(a: { start_time: number; end_time: number }): number {
  return Math.round((a.end_time - a.start_time) / MINUTE_MS);
}
