/**
 * The benchmark's data, identical for every scenario (edge, central and both raw
 * baselines), so their numbers compare:
 *
 * - Directory: `facilities` facilities (capacity 20), `providers` providers (each at one
 *   facility, round robin), `patients` patients. Everyone has an email and a phone, so a
 *   booking queues 4 notifications.
 * - Seeded appointments ("on file"): daytime visits, on the hour from 08:00 to 15:00 UTC,
 *   15-45 minutes long, one per provider per hour, spread over consecutive days centred on
 *   `day0` (half of them in the past: completed / no-show / cancelled; the rest
 *   scheduled, some cancelled). Every provider, patient and facility has hundreds or
 *   thousands of rows, so the overlap query only stays cheap through its indexes.
 * - Benchmark bookings: the free evening, 15-minute slots from 16:00 to 24:00 UTC on the
 *   days from `day0` (tomorrow) on. Client c books only with its own providers
 *   (index % clients == c) and patients (index % clients == c), so no two bookings ever
 *   conflict (every request must be a 201), while each one's 12-hour overlap window still
 *   covers that day's seeded visits of its provider, patient and facility.
 */
import {
  CENTRAL_NOTIFY,
  buildNotifications,
  reminderDue,
  type FacilityFields,
  type PatientFields,
  type UserFields,
} from '@clinic/core';
import {
  APPOINTMENT_TYPES,
  formatIsoDateTime,
  HOUR_MS,
  MINUTE_MS,
  type Appointment,
  type AppointmentStatus,
  type AppointmentType,
  type Facility,
  type IdGenerator,
  type Notification,
  type Patient,
  type User,
  type UserType,
} from '@clinic/domain';

export const DAY_MS = 24 * HOUR_MS;

export interface Shape {
  appointments: number;
  facilities: number;
  providers: number;
  patients: number;
  clients: number;
}

/**
 * The default shape: 8 facilities, 50 providers, `patients` patients (at least 4 per
 * provider, so every client owns more patients than providers).
 */
export function makeShape(appointments: number, clients: number, patients: number): Shape {
  const providers = Math.max(50, clients);
  return {
    appointments,
    facilities: 8,
    providers,
    patients: Math.max(patients, providers * 4),
    clients,
  };
}

/** Midnight UTC of tomorrow: the first day with bookable (future) slots. */
export function tomorrowUtc(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
}

const SEED_FIRST_HOUR = 8;
const SEED_HOURS_PER_DAY = 8;
const LOAD_FIRST_HOUR = 16;
const LOAD_SLOT_MS = 15 * MINUTE_MS;
const LOAD_SLOTS_PER_DAY = 32;

const TIME_ZONES = ['Africa/Nairobi', 'Africa/Kampala', 'Africa/Dar_es_Salaam', 'Africa/Lagos'];
const PROVIDER_TYPES: UserType[] = ['doctor', 'nurse', 'midwife', 'community_worker'];
const FIRST = ['Amina', 'Joseph', 'Grace', 'Peter', 'Fatuma', 'David', 'Esther', 'Halima'];
const LAST = ['Odhiambo', 'Mwangi', 'Achieng', 'Kamau', 'Hassan', 'Kiprop', 'Nyambura', 'Abdi'];

// ---- Directory -------------------------------------------------------------------------

export function facilityFields(i: number): FacilityFields {
  return {
    name: `Bench Facility ${i + 1}`,
    timezone: TIME_ZONES[i % TIME_ZONES.length] as string,
    capacity: 20,
    is_active: true,
  };
}

export function providerFields(j: number, facilityId: string, passwordHash: string): UserFields {
  return {
    username: `bench.provider${j + 1}`,
    password_hash: passwordHash,
    role: 'provider',
    user_type: PROVIDER_TYPES[j % PROVIDER_TYPES.length] as UserType,
    first_name: FIRST[j % FIRST.length] as string,
    last_name: `${LAST[(j >> 3) % LAST.length] as string}-${j + 1}`,
    email: `provider${j + 1}@bench.example`,
    phone_number: `+2547${String(j + 1).padStart(8, '0')}`,
    facilities: [facilityId],
    is_active: true,
  };
}

export function patientFields(i: number, facilityId: string): PatientFields {
  return {
    patient_id: `BENCH-${String(i + 1).padStart(6, '0')}`,
    first_name: FIRST[(i * 7) % FIRST.length] as string,
    last_name: LAST[(i * 3) % LAST.length] as string,
    phone_number: `+2541${String(i + 1).padStart(8, '0')}`,
    email: `patient${i + 1}@bench.example`,
    registered_facility: facilityId,
    is_active: true,
  };
}

/** The provider's facility (and the patient's registered one): round robin. */
export function facilityIndexOf(i: number, shape: Shape): number {
  return i % shape.facilities;
}

export interface Directory {
  facilities: Facility[];
  providers: User[];
  patients: Patient[];
}

/**
 * The directory as rows, without going through any service (the raw baselines insert
 * these with plain SQL). Same fields as the service-made directory.
 */
export function buildDirectoryRows(
  shape: Shape,
  ids: IdGenerator,
  now: number,
  nodeId: string,
  passwordHash: string,
): Directory {
  const stamp = { origin_node: nodeId, version: 1, created_at: now, updated_at: now };
  const facilities = Array.from({ length: shape.facilities }, (_, i) => ({
    id: ids.next(),
    ...facilityFields(i),
    ...stamp,
  }));
  const facilityId = (i: number) => (facilities[facilityIndexOf(i, shape)] as Facility).id;
  const providers = Array.from({ length: shape.providers }, (_, j) => ({
    id: ids.next(),
    ...providerFields(j, facilityId(j), passwordHash),
    ...stamp,
  }));
  const patients = Array.from({ length: shape.patients }, (_, i) => ({
    id: ids.next(),
    ...patientFields(i, facilityId(i)),
    clocks: '{}',
    ...stamp,
  }));
  return { facilities, providers, patients };
}

// ---- Seeded appointments ---------------------------------------------------------------

/** How many days the seeded appointments cover, and how many of them lie before day0. */
export function seedDays(shape: Shape): { days: number; pastDays: number } {
  const days = Math.ceil(shape.appointments / (shape.providers * SEED_HOURS_PER_DAY));
  return { days, pastDays: Math.floor(days / 2) };
}

export interface SeededAppointment {
  appointment: Appointment;
  notifications: Notification[];
}

/**
 * Seeded appointment number `k` (0-based) with its 4 notifications (sent, for visits in
 * the past). Appointment k: provider k % P, hour slot floor(k / P), patient k % patients;
 * a patient's visits are therefore >= patients / P hours apart and never overlap.
 */
export function seededAppointment(
  k: number,
  dir: Directory,
  shape: Shape,
  day0: number,
  ids: IdGenerator,
  now: number,
  nodeId: string,
): SeededAppointment {
  const { pastDays } = seedDays(shape);
  const j = k % shape.providers;
  const slot = Math.floor(k / shape.providers);
  const day = Math.floor(slot / SEED_HOURS_PER_DAY) - pastDays;
  const hour = SEED_FIRST_HOUR + (slot % SEED_HOURS_PER_DAY);
  const start = day0 + day * DAY_MS + hour * HOUR_MS;
  const duration = (15 + 15 * (k % 3)) * MINUTE_MS;
  const provider = dir.providers[j] as User;
  const patient = dir.patients[k % dir.patients.length] as Patient;
  const past = day < 0;
  let status: AppointmentStatus;
  if (k % 10 === 3) status = 'cancelled';
  else if (!past) status = 'scheduled';
  else status = k % 10 === 7 ? 'no_show' : 'completed';
  const appointment: Appointment = {
    id: ids.next(),
    patient: patient.id,
    provider: provider.id,
    facility: provider.facilities[0] as string,
    appointment_type: APPOINTMENT_TYPES[k % APPOINTMENT_TYPES.length] as AppointmentType,
    reason: 'Seeded visit',
    status,
    start_time: start,
    end_time: start + duration,
    created_by: provider.id,
    deleted_at: null,
    clocks: '{}',
    origin_node: nodeId,
    version: 1,
    created_at: now,
    updated_at: now,
  };
  // The state of a booking made a while ago: its confirmations went out; the reminders of
  // a visit still ahead wait for their time.
  const notifications = bookingNotifications(ids, now, appointment, patient, provider).map((n) =>
    past || n.event === 'created'
      ? { ...n, status: 'sent' as const, attempts: 1, sent_at: now }
      : n,
  );
  return { appointment, notifications };
}

/**
 * The rows a booking queues, as the application does: the `created` notices to the
 * patient and the provider, and their reminders when the start is more than a day away.
 */
export function bookingNotifications(
  ids: IdGenerator,
  now: number,
  row: Pick<Appointment, 'id' | 'start_time'>,
  patient: Pick<Patient, 'id' | 'email' | 'phone_number'>,
  provider: Pick<User, 'id' | 'email' | 'phone_number'>,
): Notification[] {
  const to = [
    { recipient: 'patient' as const, ...patient },
    { recipient: 'provider' as const, ...provider },
  ];
  const batch = {
    ids,
    now,
    appointmentId: row.id,
    occurrence: `${now}`,
    to,
    settings: CENTRAL_NOTIFY,
  };
  const due = reminderDue(row.start_time, now, CENTRAL_NOTIFY);
  return [
    ...buildNotifications({ ...batch, event: 'created' }),
    ...(due === undefined
      ? []
      : buildNotifications({
          ...batch,
          event: 'reminder',
          dueAt: due,
          reminderFor: row.start_time,
        })),
  ];
}

// ---- Benchmark bookings ----------------------------------------------------------------

/** The reason of every benchmark booking (how its rows are told from the seeded ones). */
export const BENCH_BOOKING_REASON = 'Benchmark booking';

export interface Booking {
  patient: string;
  provider: string;
  facility: string;
  appointment_type: AppointmentType;
  reason: string;
  start_time: number;
  end_time: number;
}

/** The POST /api/v1/appointments/ body of a booking. */
export function bookingBody(b: Booking): string {
  return JSON.stringify({
    patient: b.patient,
    provider: b.provider,
    facility: b.facility,
    appointment_type: b.appointment_type,
    reason: b.reason,
    start_time: formatIsoDateTime(b.start_time),
    end_time: formatIsoDateTime(b.end_time),
  });
}

/**
 * The stream of non-conflicting bookings, one cursor per client. Booking n of client c:
 * provider own[n % |own|], evening slot floor(n / |own|) counted from day0 16:00 UTC,
 * patient ownPatients[n % |ownPatients|] (|ownPatients| > |own|, so a patient's next
 * booking is at a later slot).
 */
export class BookingPlan {
  readonly #providers: User[][];
  readonly #patients: Patient[][];
  readonly #next: number[];
  readonly #day0: number;
  #roundRobin = 0;

  constructor(dir: Directory, shape: Shape, day0: number) {
    const own = <T>(rows: T[], c: number) => rows.filter((_, i) => i % shape.clients === c);
    this.#providers = Array.from({ length: shape.clients }, (_, c) => own(dir.providers, c));
    this.#patients = Array.from({ length: shape.clients }, (_, c) => own(dir.patients, c));
    for (let c = 0; c < shape.clients; c += 1) {
      const p = this.#providers[c]?.length ?? 0;
      const q = this.#patients[c]?.length ?? 0;
      if (p === 0 || q <= p) throw new Error(`client ${c}: not enough providers/patients`);
    }
    this.#next = new Array<number>(shape.clients).fill(0);
    this.#day0 = day0;
  }

  get clients(): number {
    return this.#next.length;
  }

  /** How many bookings have been handed out so far, all clients together. */
  get issued(): number {
    return this.#next.reduce((sum, n) => sum + n, 0);
  }

  /** The next booking of `client`. */
  next(client: number): Booking {
    const providers = this.#providers[client] as User[];
    const patients = this.#patients[client] as Patient[];
    const n = this.#next[client] as number;
    this.#next[client] = n + 1;
    const provider = providers[n % providers.length] as User;
    const slot = Math.floor(n / providers.length);
    const start =
      this.#day0 +
      Math.floor(slot / LOAD_SLOTS_PER_DAY) * DAY_MS +
      LOAD_FIRST_HOUR * HOUR_MS +
      (slot % LOAD_SLOTS_PER_DAY) * LOAD_SLOT_MS;
    return {
      patient: (patients[n % patients.length] as Patient).id,
      provider: provider.id,
      facility: provider.facilities[0] as string,
      appointment_type: APPOINTMENT_TYPES[n % APPOINTMENT_TYPES.length] as AppointmentType,
      reason: BENCH_BOOKING_REASON,
      start_time: start,
      end_time: start + LOAD_SLOT_MS,
    };
  }

  /** The next booking taking the clients in turn (for the single-threaded baselines). */
  nextRoundRobin(): Booking {
    const c = this.#roundRobin;
    this.#roundRobin = (c + 1) % this.#next.length;
    return this.next(c);
  }
}
