import { describe, expect, it } from 'vitest';
import {
  MAX_DURATION_MS,
  validateAppointment,
  type AppointmentCandidate,
} from './appointment-rules';
import type { Facility, Patient, User } from './model';

const NOW = Date.UTC(2030, 0, 1);
const MIN = 60_000;
const stamp = { origin_node: 'n', version: 1, created_at: NOW, updated_at: NOW };
const facility: Facility = {
  id: 'f',
  name: 'F',
  timezone: 'UTC',
  capacity: 1,
  is_active: true,
  ...stamp,
};
const patient: Patient = {
  id: 'p',
  patient_id: 'MRN',
  first_name: 'A',
  last_name: 'B',
  phone_number: '',
  email: '',
  registered_facility: null,
  is_active: true,
  clocks: '{}',
  ...stamp,
};
const provider: User = {
  id: 'u',
  username: 'u',
  password_hash: '',
  role: 'provider',
  user_type: 'nurse',
  first_name: 'N',
  last_name: 'M',
  email: '',
  phone_number: '',
  facilities: [],
  is_active: true,
  ...stamp,
};

function candidate(over: Partial<AppointmentCandidate> = {}): AppointmentCandidate {
  return {
    start_time: NOW + 60 * MIN,
    end_time: NOW + 90 * MIN,
    appointment_type: 'consultation',
    patient,
    provider,
    facility,
    ...over,
  };
}
const ctx = { now: NOW, requireFuture: true };

describe('validateAppointment', () => {
  it('accepts a valid booking', () => {
    expect(validateAppointment(candidate(), ctx)).toEqual({});
  });

  it('enforces the duration bounds: 5 minutes to 12 hours, inclusive', () => {
    expect(validateAppointment(candidate({ end_time: NOW + 65 * MIN }), ctx)).toEqual({});
    expect(
      validateAppointment(candidate({ end_time: NOW + 64 * MIN }), ctx).end_time,
    ).toBeDefined();
    expect(
      validateAppointment(candidate({ end_time: NOW + 60 * MIN + MAX_DURATION_MS }), ctx),
    ).toEqual({});
    expect(
      validateAppointment(candidate({ end_time: NOW + 60 * MIN + MAX_DURATION_MS + 1 }), ctx)
        .end_time,
    ).toBeDefined();
  });

  it('requires the future only where the booking is made', () => {
    const past = candidate({ start_time: NOW - 60 * MIN, end_time: NOW - 30 * MIN });
    expect(validateAppointment(past, ctx).start_time).toEqual([
      'Start time must be in the future.',
    ]);
    expect(validateAppointment(past, { now: NOW, requireFuture: false })).toEqual({});
    expect(
      validateAppointment(candidate({ start_time: NOW, end_time: NOW + 30 * MIN }), ctx).start_time,
    ).toBeDefined();
  });

  it('reports every problem at once', () => {
    const errors = validateAppointment(
      candidate({
        start_time: NOW - 10 * MIN,
        end_time: NOW - 20 * MIN,
        patient: { ...patient, is_active: false },
        provider: { ...provider, user_type: 'pharmacist', is_active: false },
        facility: undefined,
      }),
      ctx,
    );
    expect(Object.keys(errors).sort()).toEqual([
      'end_time',
      'facility',
      'patient',
      'provider',
      'start_time',
    ]);
    expect(errors.provider).toHaveLength(2);
  });

  it('accepts every eligible provider type and refuses the others', () => {
    for (const t of ['doctor', 'nurse', 'midwife', 'community_worker'] as const) {
      expect(
        validateAppointment(candidate({ provider: { ...provider, user_type: t } }), ctx),
      ).toEqual({});
    }
    for (const t of ['admin', 'pharmacist', 'lab_technician'] as const) {
      expect(
        validateAppointment(candidate({ provider: { ...provider, user_type: t } }), ctx).provider,
      ).toBeDefined();
    }
  });
});
