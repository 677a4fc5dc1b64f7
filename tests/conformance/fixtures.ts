/**
 * Builders of valid domain rows for storage tests, shared by every adapter's suite.
 * Each call makes fresh UUIDv7 ids and unique usernames/MRNs, so tests that share a
 * store never collide; pass overrides for the fields a test cares about.
 */
import {
  CENTRAL_OWNER,
  createUuidV7Generator,
  HOUR_MS,
  type Appointment,
  type Facility,
  type Notification,
  type Patient,
  type User,
} from '@clinic/domain';

/** The fixed "now" of the fixtures: Monday 2025-01-06 08:00:00.123 UTC. */
export const FIXED_NOW = Date.UTC(2025, 0, 6, 8, 0, 0, 123);

export const ORIGIN_NODE = 'node-test';

const ids = createUuidV7Generator({ now: () => FIXED_NOW });

/** A new UUIDv7 (strictly increasing within this process). */
export function newId(): string {
  return ids.next();
}

// Six random digits per process, so runs against a shared (PostgreSQL) database do not
// collide.
const RUN = String(100_000 + Math.floor(Math.random() * 900_000));
let sequence = 0;

/**
 * A short string unique to this call, e.g. `48213917z`: digits and a final `z`, so a
 * letter search never matches it by accident and no token is a prefix of another.
 */
export function uniqueToken(): string {
  sequence += 1;
  return `${RUN}${sequence}z`;
}

export function makeFacility(overrides: Partial<Facility> = {}): Facility {
  return {
    id: newId(),
    name: `Clinic ${uniqueToken()}`,
    timezone: 'Africa/Nairobi',
    capacity: 2,
    is_active: true,
    origin_node: ORIGIN_NODE,
    version: 1,
    created_at: FIXED_NOW,
    updated_at: FIXED_NOW,
    ...overrides,
  };
}

export function makeUser(overrides: Partial<User> = {}): User {
  const token = uniqueToken();
  return {
    id: newId(),
    username: `user_${token}`,
    password_hash: `scrypt$test$${token}`,
    role: 'provider',
    user_type: 'doctor',
    first_name: 'Amina',
    last_name: `Otieno${token}`,
    email: `user_${token}@example.org`,
    phone_number: '+254700000001',
    facilities: [],
    is_active: true,
    origin_node: ORIGIN_NODE,
    version: 1,
    created_at: FIXED_NOW,
    updated_at: FIXED_NOW,
    ...overrides,
  };
}

export function makePatient(overrides: Partial<Patient> = {}): Patient {
  const token = uniqueToken();
  return {
    id: newId(),
    patient_id: `MRN-${token}`,
    first_name: 'Baraka',
    last_name: `Mwangi${token}`,
    phone_number: '+254700000002',
    email: `patient_${token}@example.org`,
    registered_facility: null,
    is_active: true,
    clocks: '{}',
    origin_node: ORIGIN_NODE,
    version: 1,
    created_at: FIXED_NOW,
    updated_at: FIXED_NOW,
    ...overrides,
  };
}

/** An appointment of one hour, a day after FIXED_NOW; name its patient/provider/facility. */
export function makeAppointment(
  overrides: Partial<Appointment> & Pick<Appointment, 'patient' | 'provider' | 'facility'>,
): Appointment {
  const start = FIXED_NOW + 24 * HOUR_MS;
  return {
    id: newId(),
    appointment_type: 'consultation',
    reason: 'Check-up',
    status: 'scheduled',
    start_time: start,
    end_time: start + HOUR_MS,
    created_by: null,
    clocks: '{}',
    deleted_at: null,
    origin_node: ORIGIN_NODE,
    version: 1,
    created_at: FIXED_NOW,
    updated_at: FIXED_NOW,
    ...overrides,
  };
}

export function makeNotification(
  overrides: Partial<Notification> & Pick<Notification, 'appointment_id'>,
): Notification {
  return {
    id: newId(),
    event: 'created',
    recipient: 'patient',
    channel: 'email',
    address: 'patient@example.org',
    dedupe_key: `dedupe-${uniqueToken()}`,
    status: 'pending',
    attempts: 0,
    created_at: FIXED_NOW,
    sent_at: null,
    owner: CENTRAL_OWNER,
    next_attempt_at: FIXED_NOW,
    last_error: null,
    conflict_id: null,
    reminder_for: null,
    updated_at: FIXED_NOW,
    ...overrides,
  };
}
