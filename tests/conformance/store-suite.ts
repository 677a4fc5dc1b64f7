/**
 * The storage conformance suite: one set of tests, through the port only, that every
 * Store adapter (SQLite, PGlite, PostgreSQL) must pass. Each adapter's test file calls
 * `storeConformanceSuite(name, makeStore)`.
 *
 * Each top-level group opens one store (creating a PostgreSQL store costs ~0.5 s) and
 * every test makes its own rows with fresh ids, usernames and MRNs, and scopes its reads
 * to them (usually by a facility of its own), so tests neither collide nor depend on
 * order.
 *
 * Where the port leaves a choice open, the suite pins the SQLite adapter's reading:
 * listFacilities/listUsers/listPatients are ordered by (created_at, id), a user's
 * facility ids come back sorted, sent notifications and pending reminders come oldest
 * (created_at, id) first, enqueueNotifications returns the inserted rows in the order
 * given, and claimNotifications returns its rows oldest due (next_attempt_at, id) first.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppointmentOrdering, AppointmentQuery, OverlapQuery, Store } from '@clinic/core';
import {
  APPOINTMENT_STATUSES,
  CENTRAL_OWNER,
  DomainError,
  ErrorCode,
  HOUR_MS,
  MAX_DURATION_MS,
  MINUTE_MS,
  type Appointment,
  type AppointmentStatus,
  type Notification,
  type NotificationChannel,
  type Patient,
  type User,
} from '@clinic/domain';
import {
  FIXED_NOW,
  makeAppointment,
  makeFacility,
  makeNotification,
  makePatient,
  makeUser,
  newId,
  uniqueToken,
} from './fixtures';
import {
  byKeyThenId,
  insertRows,
  readAllPages,
  seedWorld,
  sleep,
  viewOf,
  type World,
} from './store-helpers';

export type MakeStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** A day after the fixtures' "now", on the hour: the base of the appointment times. */
const DAY = FIXED_NOW - (FIXED_NOW % HOUR_MS) + 24 * HOUR_MS;

/** Opens one store for the enclosing describe block and closes it after. */
function useStore(makeStore: MakeStore): () => Store {
  let opened: { store: Store; cleanup: () => Promise<void> } | undefined;
  beforeAll(async () => {
    opened = await makeStore();
  });
  afterAll(async () => {
    await opened?.cleanup();
  });
  return () => {
    if (opened === undefined) throw new Error('The store is not open yet.');
    return opened.store;
  };
}

/** A listAppointments query with the defaults filled in. */
function appointmentQuery(query: Partial<AppointmentQuery>): AppointmentQuery {
  return { limit: 100, offset: 0, ordering: 'start_time', ...query };
}

/** An overlap query for `slot` in the world's three dimensions. */
function overlapQuery(world: World, slot: Partial<OverlapQuery>): OverlapQuery {
  return {
    start_time: DAY,
    end_time: DAY + HOUR_MS,
    provider: world.provider.id,
    patient: world.patient.id,
    facility: world.facility.id,
    maxDurationMs: MAX_DURATION_MS,
    ...slot,
  };
}

function ids(rows: readonly { id: string }[]): string[] {
  return rows.map((r) => r.id);
}

function sortedIds(rows: readonly { id: string }[]): string[] {
  return ids(rows).sort();
}

/** The rejection of `promise`, failing the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it resolved.');
}

function expectDuplicate(error: unknown, field: string): void {
  expect(error).toBeInstanceOf(DomainError);
  const e = error as DomainError;
  expect(e.code).toBe(ErrorCode.Duplicate);
  expect(Object.keys(e.details ?? {})).toEqual([field]);
  expect(e.details?.[field]).toEqual([expect.any(String)]);
}

export function storeConformanceSuite(name: string, makeStore: MakeStore): void {
  describe(`Store conformance: ${name}`, () => {
    describe('rows round-trip and updates replace every column', () => {
      const store = useStore(makeStore);

      it('stores and reads back a facility, booleans and times to the ms', async () => {
        const facility = makeFacility({
          capacity: 7,
          is_active: false,
          version: 3,
          created_at: FIXED_NOW + 1,
          updated_at: FIXED_NOW + 999,
        });
        await insertRows(store(), { facilities: [facility] });
        expect(await store().getFacility(facility.id)).toEqual(facility);
        expect(await store().getFacility(newId())).toBeUndefined();
      });

      it('reads the three references of a booking together, exactly as one by one', async () => {
        const facility = makeFacility();
        const user = makeUser({ facilities: [facility.id] });
        const patient = makePatient({ registered_facility: facility.id, clocks: '{"a":"b"}' });
        await insertRows(store(), { facilities: [facility], users: [user], patients: [patient] });
        const refs = { patient: patient.id, provider: user.id, facility: facility.id };
        const inTx = await store().write((tx) => tx.getBookingReferences(refs));
        expect(inTx).toEqual({
          patient: await store().getPatient(patient.id),
          provider: await store().getUser(user.id),
          facility: await store().getFacility(facility.id),
        });
        expect(inTx.patient).toEqual(patient);
        const missing = await store().getBookingReferences({
          patient: newId(),
          provider: 'not-a-uuid',
          facility: facility.id,
        });
        expect(missing).toEqual({ facility });
      });

      it('updates every column of a facility', async () => {
        const facility = makeFacility();
        await insertRows(store(), { facilities: [facility] });
        const changed = {
          ...facility,
          name: `Renamed ${uniqueToken()}`,
          timezone: 'Africa/Kampala',
          capacity: 9,
          is_active: false,
          origin_node: 'node-other',
          version: 2,
          created_at: facility.created_at - 5,
          updated_at: facility.updated_at + 12_345,
        };
        await store().write((tx) => tx.updateFacility(changed));
        expect(await store().getFacility(facility.id)).toEqual(changed);
      });

      it('stores a user with its facility links, sorted by facility id', async () => {
        const [f1, f2, f3] = [makeFacility(), makeFacility(), makeFacility()];
        const user = makeUser({
          role: 'admin',
          user_type: 'admin',
          is_active: false,
          facilities: [f3.id, f1.id],
          created_at: FIXED_NOW + 7,
          updated_at: FIXED_NOW + 8,
        });
        const loner = makeUser();
        await insertRows(store(), { facilities: [f1, f2, f3], users: [user, loner] });

        const expected = { ...user, facilities: [f1.id, f3.id].sort() };
        expect(await store().getUser(user.id)).toEqual(expected);
        expect(await store().getUserByUsername(user.username)).toEqual(expected);
        expect(await store().getUser(loner.id)).toEqual(loner);
        expect(await store().getUser(newId())).toBeUndefined();
        expect(await store().getUserByUsername(`nobody_${uniqueToken()}`)).toBeUndefined();
      });

      it('updates every column of a user and replaces its facility links', async () => {
        const [f1, f2, f3] = [makeFacility(), makeFacility(), makeFacility()];
        const user = makeUser({ facilities: [f1.id, f2.id] });
        await insertRows(store(), { facilities: [f1, f2, f3], users: [user] });
        const token = uniqueToken();
        const changed: User = {
          ...user,
          username: `renamed_${token}`,
          password_hash: `scrypt$new$${token}`,
          role: 'admin',
          user_type: 'nurse',
          first_name: 'Changed',
          last_name: `Person${token}`,
          email: `changed_${token}@example.org`,
          phone_number: '+256700000009',
          facilities: [f3.id, f2.id],
          is_active: false,
          origin_node: 'node-other',
          version: 5,
          created_at: user.created_at + 1,
          updated_at: user.updated_at + 2,
        };
        await store().write((tx) => tx.updateUser(changed));
        expect(await store().getUser(user.id)).toEqual({
          ...changed,
          facilities: [f2.id, f3.id].sort(),
        });
        expect(await store().getUserByUsername(user.username)).toBeUndefined();

        await store().write((tx) => tx.updateUser({ ...changed, facilities: [] }));
        expect((await store().getUser(user.id))?.facilities).toEqual([]);
      });

      it('stores a patient with and without a registered facility', async () => {
        const facility = makeFacility();
        const registered = makePatient({
          registered_facility: facility.id,
          is_active: false,
          created_at: FIXED_NOW + 3,
        });
        const unregistered = makePatient({ registered_facility: null });
        await insertRows(store(), {
          facilities: [facility],
          patients: [registered, unregistered],
        });
        expect(await store().getPatient(registered.id)).toEqual(registered);
        expect(await store().getPatient(unregistered.id)).toEqual(unregistered);
        expect(await store().getPatient(newId())).toBeUndefined();
      });

      it('updates every column of a patient', async () => {
        const facility = makeFacility();
        const patient = makePatient({ registered_facility: facility.id });
        await insertRows(store(), { facilities: [facility], patients: [patient] });
        const token = uniqueToken();
        const changed: Patient = {
          ...patient,
          patient_id: `MRN-NEW-${token}`,
          first_name: 'Neema',
          last_name: `Wekesa${token}`,
          phone_number: '+254711111111',
          email: `neema_${token}@example.org`,
          registered_facility: null,
          is_active: false,
          origin_node: 'node-other',
          version: 4,
          created_at: patient.created_at - 1,
          updated_at: patient.updated_at + 1,
        };
        await store().write((tx) => tx.updatePatient(changed));
        expect(await store().getPatient(patient.id)).toEqual(changed);
      });

      it('stores an appointment and reads it as a view with the names', async () => {
        const world = await seedWorld(store());
        const appointment = makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
          appointment_type: 'antenatal',
          reason: 'First visit, "quoted" and ünïcode',
          start_time: DAY + 1,
          end_time: DAY + 45 * MINUTE_MS + 1,
          created_by: world.provider.id,
          created_at: FIXED_NOW + 11,
          updated_at: FIXED_NOW + 12,
        });
        const noCreator = makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
          created_by: null,
        });
        await insertRows(store(), { appointments: [appointment, noCreator] });
        expect(await store().getAppointment(appointment.id)).toEqual(viewOf(appointment, world));
        expect(await store().getAppointment(noCreator.id)).toEqual(viewOf(noCreator, world));
        expect(await store().getAppointment(newId())).toBeUndefined();
      });

      it('updates every column of an appointment', async () => {
        const world = await seedWorld(store());
        const other = await seedWorld(store());
        const appointment = makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
        });
        await insertRows(store(), { appointments: [appointment] });
        const changed: Appointment = {
          ...appointment,
          patient: other.patient.id,
          provider: other.provider.id,
          facility: other.facility.id,
          appointment_type: 'follow_up',
          reason: 'Changed',
          status: 'no_show',
          start_time: appointment.start_time + 1,
          end_time: appointment.end_time + 2,
          created_by: other.provider.id,
          origin_node: 'node-other',
          version: 2,
          created_at: appointment.created_at + 3,
          updated_at: appointment.updated_at + 4,
        };
        await store().write((tx) => tx.updateAppointment(changed));
        expect(await store().getAppointment(appointment.id)).toEqual(viewOf(changed, other));
      });

      it('hides a deleted appointment from getAppointment unless includeDeleted', async () => {
        const world = await seedWorld(store());
        const appointment = makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
        });
        await insertRows(store(), { appointments: [appointment] });
        const deleted = { ...appointment, deleted_at: FIXED_NOW + 5, version: 2 };
        await store().write((tx) => tx.updateAppointment(deleted));

        expect(await store().getAppointment(appointment.id)).toBeUndefined();
        expect(await store().getAppointment(appointment.id, { includeDeleted: false })).toBe(
          undefined,
        );
        expect(await store().getAppointment(appointment.id, { includeDeleted: true })).toEqual(
          viewOf(deleted, world),
        );
        // Inside a transaction too.
        await store().write(async (tx) => {
          expect(await tx.getAppointment(appointment.id)).toBeUndefined();
          expect(await tx.getAppointment(appointment.id, { includeDeleted: true })).toEqual(
            viewOf(deleted, world),
          );
        });
      });
    });

    describe('unique usernames and MRNs', () => {
      const store = useStore(makeStore);

      it('rejects a duplicate username on insert and on update', async () => {
        const first = makeUser();
        const second = makeUser();
        await insertRows(store(), { users: [first, second] });

        const onInsert = await rejectionOf(
          insertRows(store(), { users: [makeUser({ username: first.username })] }),
        );
        expectDuplicate(onInsert, 'username');

        const onUpdate = await rejectionOf(
          store().write((tx) => tx.updateUser({ ...second, username: first.username })),
        );
        expectDuplicate(onUpdate, 'username');
        expect(await store().getUser(second.id)).toEqual(second);
      });

      it('rejects a duplicate patient_id on insert and on update', async () => {
        const first = makePatient();
        const second = makePatient();
        await insertRows(store(), { patients: [first, second] });

        const onInsert = await rejectionOf(
          insertRows(store(), { patients: [makePatient({ patient_id: first.patient_id })] }),
        );
        expectDuplicate(onInsert, 'patient_id');

        const onUpdate = await rejectionOf(
          store().write((tx) => tx.updatePatient({ ...second, patient_id: first.patient_id })),
        );
        expectDuplicate(onUpdate, 'patient_id');
        expect(await store().getPatient(second.id)).toEqual(second);
      });

      it('rolls back the whole transaction that hit the duplicate', async () => {
        const existing = makeUser();
        await insertRows(store(), { users: [existing] });
        const facility = makeFacility();
        const patient = makePatient();
        const error = await rejectionOf(
          store().write(async (tx) => {
            await tx.insertFacility(facility);
            await tx.insertPatient(patient);
            await tx.insertUser(makeUser({ username: existing.username }));
          }),
        );
        expectDuplicate(error, 'username');
        expect(await store().getFacility(facility.id)).toBeUndefined();
        expect(await store().getPatient(patient.id)).toBeUndefined();
      });
    });

    describe('transactions', () => {
      const store = useStore(makeStore);

      it("commits every write of the callback together and returns the callback's value", async () => {
        const world = await seedWorld(store());
        const appointment = makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
        });
        const result = await store().write(async (tx) => {
          await tx.insertAppointment(appointment);
          // A transaction reads its own writes.
          expect(await tx.getAppointment(appointment.id)).toEqual(viewOf(appointment, world));
          return 'done';
        });
        expect(result).toBe('done');
        expect(await store().getAppointment(appointment.id)).toEqual(viewOf(appointment, world));
      });

      it('rolls back everything when the callback throws, and rethrows the same error', async () => {
        const world = await seedWorld(store());
        const facility = makeFacility();
        const user = makeUser({ facilities: [facility.id] });
        const patient = makePatient({ registered_facility: facility.id });
        const appointment = makeAppointment({
          patient: patient.id,
          provider: user.id,
          facility: facility.id,
        });
        const notification = makeNotification({ appointment_id: appointment.id, status: 'sent' });
        const boom = new Error('boom');

        const error = await rejectionOf(
          store().write(async (tx) => {
            await tx.insertFacility(facility);
            await tx.insertUser(user);
            await tx.insertPatient(patient);
            await tx.insertAppointment(appointment);
            await tx.enqueueNotifications([notification]);
            await tx.updatePatient({ ...world.patient, first_name: 'Changed' });
            await tx.updateFacility({ ...world.facility, capacity: 99 });
            throw boom;
          }),
        );
        expect(error).toBe(boom);

        expect(await store().getFacility(facility.id)).toBeUndefined();
        expect(await store().getUser(user.id)).toBeUndefined();
        expect(await store().getUserByUsername(user.username)).toBeUndefined();
        expect(await store().getPatient(patient.id)).toBeUndefined();
        expect(await store().getAppointment(appointment.id, { includeDeleted: true })).toBe(
          undefined,
        );
        expect(await store().listSentNotifications(appointment.id)).toEqual([]);
        expect(await store().getPatient(world.patient.id)).toEqual(world.patient);
        expect(await store().getFacility(world.facility.id)).toEqual(world.facility);

        // The store is still usable, and the same rows can now be written.
        await insertRows(store(), {
          facilities: [facility],
          users: [user],
          patients: [patient],
          appointments: [appointment],
        });
        expect(await store().getUser(user.id)).toEqual(user);
      });

      it('rethrows a non-Error rejection unchanged', async () => {
        const reason = { not: 'an error' };
        const error = await rejectionOf(
          store().write(async () => {
            throw reason;
          }),
        );
        expect(error).toBe(reason);
      });

      it('does not show reads outside write() what a transaction in progress wrote', async () => {
        const world = await seedWorld(store());
        const patient = makePatient();
        const appointment = makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
        });
        let wrote!: () => void;
        const written = new Promise<void>((resolve) => (wrote = resolve));
        let finish!: () => void;
        const finished = new Promise<void>((resolve) => (finish = resolve));

        const writing = store().write(async (tx) => {
          await tx.insertPatient(patient);
          await tx.insertAppointment(appointment);
          wrote();
          await finished;
        });
        await written;

        // An adapter may answer these at once (from committed data) or only once the
        // transaction ends (e.g. a single-connection database); an answer given while the
        // transaction is still open must not include its rows.
        let open = true;
        const reads = Promise.all([
          store().getPatient(patient.id),
          store().getAppointment(appointment.id),
          store().listAppointments(appointmentQuery({ facility: world.facility.id })),
          store().findActiveOverlapping(overlapQuery(world, {})),
        ]).then((answers) => ({ answers, whileOpen: open }));
        await Promise.race([reads, sleep(200)]);
        open = false;
        finish();
        await writing;

        const { answers, whileOpen } = await reads;
        if (whileOpen) {
          const [gotPatient, gotAppointment, page, overlaps] = answers;
          expect(gotPatient).toBeUndefined();
          expect(gotAppointment).toBeUndefined();
          expect(page).toEqual({ count: 0, rows: [] });
          expect(overlaps).toEqual([]);
        }
        expect(await store().getPatient(patient.id)).toEqual(patient);
        expect(await store().getAppointment(appointment.id)).toEqual(viewOf(appointment, world));
      });

      it('lets exactly one of 50 concurrent bookings of one slot through', async () => {
        const world = await seedWorld(store());
        // Fifty different patients want the same provider at the same hour.
        const patients = Array.from({ length: 50 }, () => makePatient());
        await insertRows(store(), { patients });
        const slot = { start_time: DAY + 9 * HOUR_MS, end_time: DAY + 10 * HOUR_MS };

        const outcomes = await Promise.all(
          patients.map((patient) =>
            store().write(async (tx) => {
              await tx.lock([
                `provider:${world.provider.id}`,
                `patient:${patient.id}`,
                `facility:${world.facility.id}`,
              ]);
              const overlapping = await tx.findActiveOverlapping({
                ...slot,
                provider: world.provider.id,
                patient: patient.id,
                facility: world.facility.id,
                maxDurationMs: MAX_DURATION_MS,
              });
              if (overlapping.length > 0) return 'conflict';
              await sleep(1); // widen the race window for adapters that could interleave
              await tx.insertAppointment(
                makeAppointment({
                  ...slot,
                  patient: patient.id,
                  provider: world.provider.id,
                  facility: world.facility.id,
                }),
              );
              return 'booked';
            }),
          ),
        );

        expect(outcomes.filter((o) => o === 'booked')).toHaveLength(1);
        const page = await store().listAppointments(
          appointmentQuery({ provider: world.provider.id }),
        );
        expect(page.count).toBe(1);
        expect(page.rows).toHaveLength(1);
      });

      it('commits concurrent writes that touch different keys', async () => {
        const worlds = await Promise.all(Array.from({ length: 10 }, () => seedWorld(store())));
        const booked = await Promise.all(
          worlds.map((world) =>
            store().write(async (tx) => {
              await tx.lock([`provider:${world.provider.id}`, `patient:${world.patient.id}`]);
              const appointment = makeAppointment({
                patient: world.patient.id,
                provider: world.provider.id,
                facility: world.facility.id,
              });
              await tx.insertAppointment(appointment);
              return appointment;
            }),
          ),
        );
        for (const [i, appointment] of booked.entries()) {
          const world = worlds[i] as World;
          expect(await store().getAppointment(appointment.id)).toEqual(viewOf(appointment, world));
        }
      });
    });

    describe('listAppointments', () => {
      const store = useStore(makeStore);

      /** A facility with two providers and two patients, all with distinct names. */
      async function seedClinic() {
        const t = uniqueToken();
        const facility = makeFacility();
        const grace = makeUser({
          first_name: 'Grace',
          last_name: 'Njeri',
          user_type: 'nurse',
          facilities: [facility.id],
        });
        const peter = makeUser({ first_name: 'Peter', last_name: 'Mutua' });
        const wanjiru = makePatient({
          patient_id: `MRN-${t}-A1`,
          first_name: 'Wanjiru',
          last_name: 'Kamau',
        });
        const otieno = makePatient({
          patient_id: `MRN-${t}-B2`,
          first_name: 'Otieno',
          last_name: 'Achieng',
        });
        await insertRows(store(), {
          facilities: [facility],
          users: [grace, peter],
          patients: [wanjiru, otieno],
        });
        return { t, facility, grace, peter, wanjiru, otieno };
      }

      type Clinic = Awaited<ReturnType<typeof seedClinic>>;

      function book(
        c: Clinic,
        patient: Patient,
        provider: User,
        overrides: Partial<Appointment> = {},
      ): Appointment {
        return makeAppointment({
          patient: patient.id,
          provider: provider.id,
          facility: c.facility.id,
          ...overrides,
        });
      }

      function refsOf(c: Clinic, a: Appointment) {
        const patient = a.patient === c.wanjiru.id ? c.wanjiru : c.otieno;
        const provider = a.provider === c.grace.id ? c.grace : c.peter;
        return { patient, provider, facility: c.facility };
      }

      it('returns views of the matching rows with the count', async () => {
        const c = await seedClinic();
        const a = book(c, c.wanjiru, c.grace, { start_time: DAY, end_time: DAY + HOUR_MS });
        await insertRows(store(), { appointments: [a] });
        const page = await store().listAppointments(appointmentQuery({ facility: c.facility.id }));
        expect(page).toEqual({ count: 1, rows: [viewOf(a, refsOf(c, a))] });
      });

      it('filters by provider, patient, facility, status, type and startsAfter', async () => {
        const c = await seedClinic();
        const elsewhere = makeFacility();
        await insertRows(store(), { facilities: [elsewhere] });
        const rows = [
          book(c, c.wanjiru, c.grace, { start_time: DAY, end_time: DAY + HOUR_MS }),
          book(c, c.otieno, c.grace, {
            status: 'cancelled',
            start_time: DAY + HOUR_MS,
            end_time: DAY + 2 * HOUR_MS,
          }),
          book(c, c.wanjiru, c.peter, {
            appointment_type: 'vaccination',
            start_time: DAY + 2 * HOUR_MS,
            end_time: DAY + 3 * HOUR_MS,
          }),
          book(c, c.otieno, c.peter, {
            facility: elsewhere.id,
            status: 'completed',
            start_time: DAY + 3 * HOUR_MS,
            end_time: DAY + 4 * HOUR_MS,
          }),
        ];
        const [wg, og, wp, op] = rows as [Appointment, Appointment, Appointment, Appointment];
        await insertRows(store(), { appointments: rows });

        const list = async (query: Partial<AppointmentQuery>) => {
          const page = await store().listAppointments(appointmentQuery(query));
          expect(page.count).toBe(page.rows.length);
          return ids(page.rows);
        };
        const f = c.facility.id;
        expect(await list({ facility: f })).toEqual(ids([wg, og, wp]));
        expect(await list({ facility: elsewhere.id })).toEqual(ids([op]));
        expect(await list({ provider: c.grace.id })).toEqual(ids([wg, og]));
        expect(await list({ provider: c.peter.id })).toEqual(ids([wp, op]));
        expect(await list({ patient: c.wanjiru.id })).toEqual(ids([wg, wp]));
        expect(await list({ patient: c.otieno.id, facility: f })).toEqual(ids([og]));
        expect(await list({ facility: f, status: 'cancelled' })).toEqual(ids([og]));
        expect(await list({ provider: c.peter.id, status: 'completed' })).toEqual(ids([op]));
        expect(await list({ facility: f, status: 'no_show' })).toEqual([]);
        expect(await list({ facility: f, appointment_type: 'vaccination' })).toEqual(ids([wp]));
        expect(await list({ facility: f, appointment_type: 'consultation' })).toEqual(
          ids([wg, og]),
        );
        // startsAfter is strict: an appointment starting exactly then is left out.
        expect(await list({ facility: f, startsAfter: DAY + HOUR_MS })).toEqual(ids([wp]));
        expect(await list({ facility: f, startsAfter: DAY + HOUR_MS - 1 })).toEqual(ids([og, wp]));
        expect(
          await list({ patient: c.wanjiru.id, provider: c.peter.id, status: 'scheduled' }),
        ).toEqual(ids([wp]));
      });

      it('leaves deleted appointments out of the rows and the count', async () => {
        const c = await seedClinic();
        const kept = book(c, c.wanjiru, c.grace);
        const deleted = book(c, c.otieno, c.grace, { deleted_at: FIXED_NOW });
        await insertRows(store(), { appointments: [kept, deleted] });
        const page = await store().listAppointments(appointmentQuery({ facility: c.facility.id }));
        expect(page.count).toBe(1);
        expect(ids(page.rows)).toEqual([kept.id]);
        const searched = await store().listAppointments(
          appointmentQuery({ facility: c.facility.id, search: 'otieno' }),
        );
        expect(searched).toEqual({ count: 0, rows: [] });
      });

      it("searches the patient's MRN and names and the provider's names, ignoring case", async () => {
        const c = await seedClinic();
        const wg = book(c, c.wanjiru, c.grace, { start_time: DAY, end_time: DAY + HOUR_MS });
        const op = book(c, c.otieno, c.peter, {
          start_time: DAY + HOUR_MS,
          end_time: DAY + 2 * HOUR_MS,
        });
        const wp = book(c, c.wanjiru, c.peter, {
          start_time: DAY + 2 * HOUR_MS,
          end_time: DAY + 3 * HOUR_MS,
        });
        await insertRows(store(), { appointments: [wg, op, wp] });

        const search = async (text: string) => {
          const page = await store().listAppointments(
            appointmentQuery({ facility: c.facility.id, search: text }),
          );
          expect(page.count).toBe(page.rows.length);
          return ids(page.rows);
        };
        // Patient MRN (stored upper case), first, last and full name.
        expect(await search(`${c.t}-a1`)).toEqual(ids([wg, wp]));
        expect(await search(`mrn-${c.t}-B`)).toEqual(ids([op]));
        expect(await search('WANJIRU')).toEqual(ids([wg, wp]));
        expect(await search('achieng')).toEqual(ids([op]));
        expect(await search('anjiru kam')).toEqual(ids([wg, wp]));
        // Provider first, last and full name.
        expect(await search('grace')).toEqual(ids([wg]));
        expect(await search('MuTuA')).toEqual(ids([op, wp]));
        expect(await search('peter mut')).toEqual(ids([op, wp]));
        expect(await search('zzz-no-such-name')).toEqual([]);
      });

      it('matches % and _ in the search text literally', async () => {
        const c = await seedClinic();
        const percent = makePatient({ first_name: 'Ab%cd', last_name: 'Literal' });
        const underscore = makePatient({ first_name: 'Ab_cd', last_name: 'Literal' });
        const plain = makePatient({ first_name: 'Abxcd', last_name: 'Literal' });
        await insertRows(store(), { patients: [percent, underscore, plain] });
        const rows = [percent, underscore, plain].map((p) => book(c, p, c.grace));
        await insertRows(store(), { appointments: rows });
        const [a, b] = rows as [Appointment, Appointment];

        const search = async (text: string) =>
          sortedIds(
            (
              await store().listAppointments(
                appointmentQuery({ facility: c.facility.id, search: text }),
              )
            ).rows,
          );
        expect(await search('b%c')).toEqual([a.id]);
        expect(await search('b_c')).toEqual([b.id]);
        expect(await search('%')).toEqual([a.id]);
        expect(await search('bxc')).toEqual([rows[2]?.id]);
      });

      it('orders by each ordering with ties broken by id ascending', async () => {
        const c = await seedClinic();
        const times = [
          [DAY + 2 * HOUR_MS, FIXED_NOW + 1],
          [DAY, FIXED_NOW + 3],
          [DAY + 2 * HOUR_MS, FIXED_NOW + 3],
          [DAY + HOUR_MS, FIXED_NOW + 1],
          [DAY, FIXED_NOW + 2],
          [DAY + 2 * HOUR_MS, FIXED_NOW + 2],
        ] as const;
        const rows = times.map(([start, created]) =>
          book(c, c.wanjiru, c.grace, {
            start_time: start,
            end_time: start + HOUR_MS,
            created_at: created,
          }),
        );
        await insertRows(store(), { appointments: rows });

        const expected: Record<AppointmentOrdering, Appointment[]> = {
          start_time: [...rows].sort(byKeyThenId((r) => r.start_time)),
          '-start_time': [...rows].sort(byKeyThenId((r) => r.start_time, true)),
          created_at: [...rows].sort(byKeyThenId((r) => r.created_at)),
          '-created_at': [...rows].sort(byKeyThenId((r) => r.created_at, true)),
        };
        for (const [ordering, want] of Object.entries(expected)) {
          const page = await store().listAppointments(
            appointmentQuery({
              facility: c.facility.id,
              ordering: ordering as AppointmentOrdering,
            }),
          );
          expect({ ordering, ids: ids(page.rows) }).toEqual({ ordering, ids: ids(want) });
        }
      });

      it('pages with limit and offset and counts every match', async () => {
        const c = await seedClinic();
        const rows = Array.from({ length: 5 }, (_, i) =>
          book(c, c.otieno, c.peter, {
            start_time: DAY + i * HOUR_MS,
            end_time: DAY + (i + 1) * HOUR_MS,
          }),
        );
        await insertRows(store(), { appointments: rows });
        const page = (limit: number, offset: number) =>
          store().listAppointments(appointmentQuery({ facility: c.facility.id, limit, offset }));

        expect(await page(2, 0)).toEqual({
          count: 5,
          rows: rows.slice(0, 2).map((a) => viewOf(a, refsOf(c, a))),
        });
        expect(ids((await page(2, 2)).rows)).toEqual(ids(rows.slice(2, 4)));
        expect(ids((await page(2, 4)).rows)).toEqual(ids(rows.slice(4)));
        expect(await page(2, 5)).toEqual({ count: 5, rows: [] });
        expect(await page(0, 0)).toEqual({ count: 5, rows: [] });
        expect(ids((await page(100, 1)).rows)).toEqual(ids(rows.slice(1)));
      });
    });

    describe('findActiveOverlapping', () => {
      const store = useStore(makeStore);

      const HOUR = { start_time: DAY + 10 * HOUR_MS, end_time: DAY + 11 * HOUR_MS };

      /** An appointment in the world (or with other people/place overridden). */
      function at(world: World, overrides: Partial<Appointment>): Appointment {
        return makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
          ...overrides,
        });
      }

      it('finds overlaps by provider, by patient and by facility, each alone', async () => {
        const world = await seedWorld(store());
        const strangers = await seedWorld(store());
        const byProvider = at(strangers, {
          provider: world.provider.id,
          start_time: HOUR.start_time - 30 * MINUTE_MS,
          end_time: HOUR.start_time + 1,
        });
        const byPatient = at(strangers, {
          patient: world.patient.id,
          start_time: HOUR.end_time - 1,
          end_time: HOUR.end_time + HOUR_MS,
        });
        const byFacility = at(strangers, {
          facility: world.facility.id,
          start_time: HOUR.start_time + 10 * MINUTE_MS,
          end_time: HOUR.start_time + 20 * MINUTE_MS,
        });
        const unrelated = at(strangers, HOUR);
        const enclosing = at(strangers, {
          provider: world.provider.id,
          start_time: HOUR.start_time - 11 * HOUR_MS,
          end_time: HOUR.end_time, // 12 h: the longest possible
        });
        await insertRows(store(), {
          appointments: [byProvider, byPatient, byFacility, unrelated, enclosing],
        });

        const found = await store().findActiveOverlapping(overlapQuery(world, HOUR));
        expect(ids(found)).toEqual(ids([enclosing, byProvider, byFacility, byPatient]));
        expect(found[1]).toEqual({
          id: byProvider.id,
          provider: world.provider.id,
          patient: strangers.patient.id,
          facility: strangers.facility.id,
          status: 'scheduled',
          start_time: byProvider.start_time,
          end_time: byProvider.end_time,
          patient_first_name: strangers.patient.first_name,
          patient_last_name: strangers.patient.last_name,
        });
      });

      it('returns an appointment matching on several dimensions once, with names', async () => {
        const world = await seedWorld(store());
        const same = at(world, HOUR);
        await insertRows(store(), { appointments: [same] });
        expect(await store().findActiveOverlapping(overlapQuery(world, HOUR))).toEqual([
          {
            id: same.id,
            provider: world.provider.id,
            patient: world.patient.id,
            facility: world.facility.id,
            status: 'scheduled',
            start_time: HOUR.start_time,
            end_time: HOUR.end_time,
            patient_first_name: world.patient.first_name,
            patient_last_name: world.patient.last_name,
          },
        ]);
      });

      it('ignores back-to-back appointments on either side', async () => {
        const world = await seedWorld(store());
        const before = at(world, {
          start_time: HOUR.start_time - HOUR_MS,
          end_time: HOUR.start_time,
        });
        const after = at(world, { start_time: HOUR.end_time, end_time: HOUR.end_time + HOUR_MS });
        await insertRows(store(), { appointments: [before, after] });
        expect(await store().findActiveOverlapping(overlapQuery(world, HOUR))).toEqual([]);
      });

      it('ignores cancelled, completed and deleted appointments but not no_show', async () => {
        const world = await seedWorld(store());
        const statuses: AppointmentStatus[] = ['cancelled', 'completed', 'no_show', 'scheduled'];
        const rows = statuses.map((status) => at(world, { ...HOUR, status }));
        const deleted = at(world, { ...HOUR, deleted_at: FIXED_NOW });
        const deletedNoShow = at(world, { ...HOUR, status: 'no_show', deleted_at: FIXED_NOW });
        await insertRows(store(), { appointments: [...rows, deleted, deletedNoShow] });

        const found = await store().findActiveOverlapping(overlapQuery(world, HOUR));
        expect(sortedIds(found)).toEqual(sortedIds(rows.slice(2)));
        expect(found.map((r) => r.status).sort()).toEqual(['no_show', 'scheduled']);
      });

      it('leaves out the appointment named by excludeId', async () => {
        const world = await seedWorld(store());
        const mine = at(world, HOUR);
        const other = at(world, { ...HOUR, patient: (await seedWorld(store())).patient.id });
        await insertRows(store(), { appointments: [mine, other] });
        const found = await store().findActiveOverlapping(
          overlapQuery(world, { ...HOUR, excludeId: mine.id }),
        );
        expect(ids(found)).toEqual([other.id]);
      });

      it('finds an appointment as long as maxDurationMs that started that long ago', async () => {
        const world = await seedWorld(store());
        const longest = at(world, {
          start_time: HOUR.start_time - MAX_DURATION_MS + 1,
          end_time: HOUR.start_time + 1,
        });
        await insertRows(store(), { appointments: [longest] });
        expect(ids(await store().findActiveOverlapping(overlapQuery(world, HOUR)))).toEqual([
          longest.id,
        ]);
      });

      it('never misses an overlap (property: against a brute-force filter)', async () => {
        const SLOT = 30 * MINUTE_MS;
        // Times on a half-hour grid over two days, nudged by a millisecond now and then,
        // so that touching and barely-overlapping edges come up often.
        const time = fc
          .tuple(fc.integer({ min: 0, max: 96 }), fc.constantFrom(0, 0, 1, -1))
          .map(([slot, nudge]) => DAY + slot * SLOT + nudge);
        const duration = fc
          .tuple(fc.integer({ min: 1, max: 24 }), fc.constantFrom(0, 0, -1))
          .map(([slots, nudge]) => slots * SLOT + nudge); // up to 12 h
        const pick = fc.constantFrom(0 as const, 1 as const);
        const appointment = fc.record({
          provider: pick,
          patient: pick,
          facility: pick,
          start: time,
          duration,
          status: fc.constantFrom(...APPOINTMENT_STATUSES),
          deleted: fc.boolean(),
        });
        const query = fc.record({
          provider: pick,
          patient: pick,
          facility: pick,
          start: time,
          duration,
          exclude: fc.option(fc.nat(), { nil: undefined }),
        });

        await fc.assert(
          fc.asyncProperty(
            fc.array(appointment, { maxLength: 30 }),
            fc.array(query, { minLength: 1, maxLength: 4 }),
            async (specs, queries) => {
              // Fresh people and places per run, so runs never see each other's rows.
              const facilities = [makeFacility(), makeFacility()] as const;
              const providers = [makeUser(), makeUser()] as const;
              const patients = [makePatient(), makePatient()] as const;
              const rows = specs.map((s) =>
                makeAppointment({
                  provider: providers[s.provider].id,
                  patient: patients[s.patient].id,
                  facility: facilities[s.facility].id,
                  start_time: s.start,
                  end_time: s.start + s.duration,
                  status: s.status,
                  deleted_at: s.deleted ? FIXED_NOW : null,
                }),
              );
              await insertRows(store(), {
                facilities: [...facilities],
                users: [...providers],
                patients: [...patients],
                appointments: rows,
              });
              const patientById = new Map(patients.map((p) => [p.id, p]));

              for (const q of queries) {
                const oq: OverlapQuery = {
                  provider: providers[q.provider].id,
                  patient: patients[q.patient].id,
                  facility: facilities[q.facility].id,
                  start_time: q.start,
                  end_time: q.start + q.duration,
                  maxDurationMs: MAX_DURATION_MS,
                  ...(q.exclude === undefined || rows.length === 0
                    ? {}
                    : { excludeId: (rows[q.exclude % rows.length] as Appointment).id }),
                };
                const expected = rows.filter(
                  (r) =>
                    r.deleted_at === null &&
                    (r.status === 'scheduled' || r.status === 'no_show') &&
                    (r.provider === oq.provider ||
                      r.patient === oq.patient ||
                      r.facility === oq.facility) &&
                    r.start_time < oq.end_time &&
                    r.end_time > oq.start_time &&
                    r.id !== oq.excludeId,
                );
                const found = await store().findActiveOverlapping(oq);

                // Never misses one, never repeats one, ordered by start_time.
                const foundIds = new Set(ids(found));
                expect(foundIds.size).toBe(found.length);
                expect(expected.filter((e) => !foundIds.has(e.id))).toEqual([]);
                const starts = found.map((r) => r.start_time);
                expect(starts).toEqual([...starts].sort((a, b) => a - b));
                // Whatever it returns (it may over-fetch) is a true, active row.
                const rowById = new Map(rows.map((r) => [r.id, r]));
                for (const r of found) {
                  const stored = rowById.get(r.id);
                  expect(stored).toBeDefined();
                  if (stored === undefined) continue;
                  const patient = patientById.get(stored.patient) as Patient;
                  expect(r).toEqual({
                    id: stored.id,
                    provider: stored.provider,
                    patient: stored.patient,
                    facility: stored.facility,
                    status: stored.status,
                    start_time: stored.start_time,
                    end_time: stored.end_time,
                    patient_first_name: patient.first_name,
                    patient_last_name: patient.last_name,
                  });
                  expect(stored.deleted_at).toBeNull();
                  expect(['scheduled', 'no_show']).toContain(stored.status);
                  expect(r.id).not.toBe(oq.excludeId);
                }
              }
            },
          ),
          { numRuns: 40 },
        );
      });
    });

    describe('listUsers, listPatients and listFacilities', () => {
      const store = useStore(makeStore);

      it('lists facilities in (created_at, id) order, page by page', async () => {
        const mine = [
          makeFacility({ created_at: FIXED_NOW + 10 }),
          makeFacility({ created_at: FIXED_NOW - 10 }),
          makeFacility({ created_at: FIXED_NOW + 10 }),
        ];
        await insertRows(store(), { facilities: mine });
        const all = await readAllPages((page) => store().listFacilities(page), 2);
        expect(all.rows).toEqual([...all.rows].sort(byKeyThenId((f) => f.created_at)));
        expect(new Set(ids(all.rows)).size).toBe(all.count);
        const listed = all.rows.filter((f) => mine.some((m) => m.id === f.id));
        expect(listed).toEqual([...mine].sort(byKeyThenId((f) => f.created_at)));
      });

      it('filters users by facility and role, in (created_at, id) order', async () => {
        const facility = makeFacility();
        const other = makeFacility();
        const users = [
          makeUser({ facilities: [facility.id], created_at: FIXED_NOW + 2 }),
          makeUser({ facilities: [facility.id, other.id], role: 'admin', user_type: 'admin' }),
          makeUser({ facilities: [other.id] }),
          makeUser({ facilities: [facility.id], created_at: FIXED_NOW - 2, role: 'patient' }),
          makeUser({ facilities: [facility.id], created_at: FIXED_NOW + 2 }),
        ];
        await insertRows(store(), { facilities: [facility, other], users });
        const [a, b, c, d, e] = users as [User, User, User, User, User];
        const list = async (query: { role?: User['role']; facility?: string }) => {
          const page = await store().listUsers({ limit: 100, offset: 0, ...query });
          expect(page.count).toBe(page.rows.length);
          return page.rows;
        };
        const sorted = (rows: User[]) => ids([...rows].sort(byKeyThenId((u) => u.created_at)));

        const atFacility = await list({ facility: facility.id });
        expect(ids(atFacility)).toEqual(sorted([a, b, d, e]));
        expect(atFacility.find((u) => u.id === b.id)?.facilities).toEqual(
          [facility.id, other.id].sort(),
        );
        expect(ids(await list({ facility: other.id }))).toEqual(sorted([b, c]));
        expect(ids(await list({ facility: facility.id, role: 'provider' }))).toEqual(
          sorted([a, e]),
        );
        expect(ids(await list({ facility: facility.id, role: 'patient' }))).toEqual([d.id]);

        const paged = await readAllPages(
          (page) => store().listUsers({ ...page, facility: facility.id }),
          3,
        );
        expect(paged.count).toBe(4);
        expect(ids(paged.rows)).toEqual(sorted([a, b, d, e]));
      });

      it('searches users by username, first, last and full name, ignoring case', async () => {
        const t = uniqueToken();
        const facility = makeFacility();
        const ann = makeUser({
          username: `ann_${t}`,
          first_name: 'Annet',
          last_name: 'Nakato',
          facilities: [facility.id],
        });
        const bob = makeUser({
          username: `bob_${t}`,
          first_name: 'Robert',
          last_name: 'Ssemakula',
          facilities: [facility.id],
        });
        await insertRows(store(), { facilities: [facility], users: [ann, bob] });
        const search = async (text: string) => {
          const page = await store().listUsers({
            limit: 100,
            offset: 0,
            facility: facility.id,
            search: text,
          });
          expect(page.count).toBe(page.rows.length);
          return sortedIds(page.rows);
        };
        expect(await search(`ANN_${t}`)).toEqual([ann.id]);
        expect(await search(t)).toEqual(sortedIds([ann, bob]));
        expect(await search('rober')).toEqual([bob.id]);
        expect(await search('NAKATO')).toEqual([ann.id]);
        expect(await search('robert ssem')).toEqual([bob.id]);
        expect(await search('n_')).toEqual([ann.id]); // "ann_…": the _ is literal
        expect(await search('no-such-user')).toEqual([]);
      });

      it('filters patients by registered facility and searches MRN and names', async () => {
        const t = uniqueToken();
        const facility = makeFacility();
        const patients = [
          makePatient({
            patient_id: `MRN-${t}-1`,
            first_name: 'Halima',
            last_name: 'Chebet',
            registered_facility: facility.id,
            created_at: FIXED_NOW + 5,
          }),
          makePatient({
            patient_id: `MRN-${t}-2`,
            first_name: 'Juma',
            last_name: 'Kiprop',
            registered_facility: facility.id,
          }),
          makePatient({ patient_id: `MRN-${t}-3`, first_name: 'Halima', last_name: 'Other' }),
        ];
        await insertRows(store(), { facilities: [facility], patients });
        const [halima, juma, elsewhere] = patients as [Patient, Patient, Patient];

        const registered = await store().listPatients({
          limit: 100,
          offset: 0,
          registered_facility: facility.id,
        });
        expect(registered).toEqual({ count: 2, rows: [juma, halima] }); // created_at order

        const search = async (text: string, registeredOnly = true) => {
          const page = await store().listPatients({
            limit: 100,
            offset: 0,
            search: text,
            ...(registeredOnly ? { registered_facility: facility.id } : {}),
          });
          expect(page.count).toBe(page.rows.length);
          return sortedIds(page.rows);
        };
        expect(await search(`mrn-${t}-1`)).toEqual([halima.id]);
        expect(await search(`${t}-`, false)).toEqual(sortedIds(patients));
        expect(await search('HALIMA')).toEqual([halima.id]);
        expect(await search('kipro')).toEqual([juma.id]);
        expect(await search('juma kip')).toEqual([juma.id]);
        expect(await search(`${t}-3`, false)).toEqual([elsewhere.id]);
        expect(await search('%')).toEqual([]);

        const paged = await readAllPages(
          (page) => store().listPatients({ ...page, search: `MRN-${t}` }),
          2,
        );
        expect(ids(paged.rows)).toEqual(ids([juma, elsewhere, halima]));
      });
    });

    describe('notifications', () => {
      const store = useStore(makeStore);

      async function seedAppointment(): Promise<Appointment> {
        const world = await seedWorld(store());
        const appointment = makeAppointment({
          patient: world.patient.id,
          provider: world.provider.id,
          facility: world.facility.id,
        });
        await insertRows(store(), { appointments: [appointment] });
        return appointment;
      }

      it('lists only the sent notifications of the appointment, oldest first', async () => {
        const appointment = await seedAppointment();
        const other = await seedAppointment();
        const sentLate = makeNotification({
          appointment_id: appointment.id,
          status: 'sent',
          attempts: 2,
          channel: 'sms',
          recipient: 'provider',
          event: 'reminder',
          address: '+254700000003',
          created_at: FIXED_NOW + 20,
          sent_at: FIXED_NOW + 21,
        });
        const sentEarly = makeNotification({
          appointment_id: appointment.id,
          status: 'sent',
          attempts: 1,
          created_at: FIXED_NOW + 10,
          sent_at: FIXED_NOW + 30,
        });
        await store().write((tx) =>
          tx.enqueueNotifications([
            sentLate,
            makeNotification({ appointment_id: appointment.id, status: 'pending' }),
            makeNotification({ appointment_id: appointment.id, status: 'failed', attempts: 5 }),
            sentEarly,
            makeNotification({ appointment_id: other.id, status: 'sent', sent_at: FIXED_NOW }),
          ]),
        );
        expect(await store().listSentNotifications(appointment.id)).toEqual([sentEarly, sentLate]);
        expect(await store().listSentNotifications(newId())).toEqual([]);
      });

      it('skips a notification whose dedupe_key exists, in the same or a later batch', async () => {
        const appointment = await seedAppointment();
        const first = makeNotification({
          appointment_id: appointment.id,
          status: 'sent',
          sent_at: FIXED_NOW,
        });
        const sameBatch = makeNotification({
          appointment_id: appointment.id,
          dedupe_key: first.dedupe_key,
          status: 'sent',
          address: 'other@example.org',
        });
        const second = makeNotification({
          appointment_id: appointment.id,
          status: 'sent',
          created_at: FIXED_NOW + 1,
        });
        expect(
          await store().write((tx) => tx.enqueueNotifications([first, sameBatch, second])),
        ).toEqual([first, second]);
        expect(
          await store().write((tx) =>
            tx.enqueueNotifications([
              makeNotification({
                appointment_id: appointment.id,
                dedupe_key: second.dedupe_key,
                status: 'sent',
              }),
            ]),
          ),
        ).toEqual([]);
        expect(await store().write((tx) => tx.enqueueNotifications([]))).toEqual([]);
        expect(await store().listSentNotifications(appointment.id)).toEqual([first, second]);
      });

      it('stores every field, and skips a row whose id exists, returning only the inserted', async () => {
        const appointment = await seedAppointment();
        const full = makeNotification({
          appointment_id: appointment.id,
          event: 'conflict',
          recipient: 'admin',
          channel: 'sms',
          address: '+254700000009',
          status: 'failed',
          attempts: 5,
          created_at: FIXED_NOW + 1,
          owner: `node-${uniqueToken()}`,
          next_attempt_at: FIXED_NOW + 7 * MINUTE_MS,
          last_error: '421 4.7.0 Try again later',
          conflict_id: newId(),
          updated_at: FIXED_NOW + 2,
        });
        const reminder = makeNotification({
          appointment_id: appointment.id,
          event: 'reminder',
          reminder_for: appointment.start_time,
          next_attempt_at: appointment.start_time - 24 * HOUR_MS,
        });
        const sameId = makeNotification({ appointment_id: appointment.id, id: full.id });
        const inserted = await store().write((tx) =>
          tx.enqueueNotifications([reminder, full, sameId]),
        );
        expect(inserted).toEqual([reminder, full]);
        const again = makeNotification({ appointment_id: appointment.id, id: reminder.id });
        const fresh = makeNotification({ appointment_id: appointment.id });
        expect(await store().write((tx) => tx.enqueueNotifications([again, fresh]))).toEqual([
          fresh,
        ]);
        expect(await store().getNotification(full.id)).toEqual(full);
        expect(await store().getNotification(reminder.id)).toEqual(reminder);
        expect(await store().getNotification(newId())).toBeUndefined();
        expect(await store().getNotification('not-a-uuid')).toBeUndefined();
      });

      it('updates every column of a notification, and refuses a missing one', async () => {
        const appointment = await seedAppointment();
        const row = makeNotification({ appointment_id: appointment.id });
        await store().write((tx) => tx.enqueueNotifications([row]));
        const changed = {
          ...row,
          event: 'reminder' as const,
          recipient: 'provider' as const,
          channel: 'sms' as const,
          address: '+254700000010',
          status: 'sent' as const,
          attempts: 3,
          created_at: FIXED_NOW - 1,
          sent_at: FIXED_NOW + 3,
          owner: `node-${uniqueToken()}`,
          next_attempt_at: FIXED_NOW + 2,
          last_error: 'timeout',
          conflict_id: newId(),
          reminder_for: FIXED_NOW + 99,
          updated_at: FIXED_NOW + 3,
        };
        await store().write((tx) => tx.updateNotification(changed));
        expect(await store().getNotification(row.id)).toEqual(changed);
        const missing = makeNotification({ appointment_id: appointment.id });
        await expect(store().write((tx) => tx.updateNotification(missing))).rejects.toThrow();
        expect(await store().getNotification(missing.id)).toBeUndefined();
      });

      it("records a batch of delivery outcomes, each row's own, and refuses a missing row", async () => {
        const appointment = await seedAppointment();
        const [a, b, c] = [1, 2, 3].map(() => makeNotification({ appointment_id: appointment.id }));
        await store().write((tx) => tx.enqueueNotifications([a!, b!, c!]));
        const sent = {
          ...a!,
          status: 'sent' as const,
          attempts: 1,
          sent_at: FIXED_NOW + 7,
          last_error: null,
          updated_at: FIXED_NOW + 7,
        };
        const retry = {
          ...b!,
          status: 'pending' as const,
          attempts: 2,
          next_attempt_at: FIXED_NOW + 20_001,
          last_error: '421 try later',
          updated_at: FIXED_NOW + 8,
        };
        await store().write((tx) => tx.recordDeliveries([sent, retry]));
        expect(await store().getNotification(a!.id)).toEqual(sent);
        expect(await store().getNotification(b!.id)).toEqual(retry);
        expect(await store().getNotification(c!.id)).toEqual(c);
        const missing = makeNotification({ appointment_id: appointment.id });
        await expect(
          store().write((tx) => tx.recordDeliveries([{ ...c!, status: 'sent' }, missing])),
        ).rejects.toThrow();
        expect((await store().getNotification(c!.id))?.status).toBe('pending');
      });

      it('claims only the due pending rows of the owner and channels, oldest first', async () => {
        const appointment = await seedAppointment();
        const owner = `node-${uniqueToken()}`;
        const due = (at: number, overrides: Partial<Notification> = {}) =>
          makeNotification({
            appointment_id: appointment.id,
            owner,
            next_attempt_at: at,
            ...overrides,
          });
        const oldest = due(FIXED_NOW - 3 * MINUTE_MS, { attempts: 2 });
        const tieA = due(FIXED_NOW - 2 * MINUTE_MS);
        const tieB = due(FIXED_NOW - 2 * MINUTE_MS); // same time, larger id
        const sms = due(FIXED_NOW - 1 * MINUTE_MS, { channel: 'sms' });
        const exactlyNow = due(FIXED_NOW);
        const later = due(FIXED_NOW + 1);
        const others = [
          due(FIXED_NOW - HOUR_MS, { owner: CENTRAL_OWNER }),
          due(FIXED_NOW - HOUR_MS, { status: 'sent', sent_at: FIXED_NOW }),
          due(FIXED_NOW - HOUR_MS, { status: 'failed' }),
          due(FIXED_NOW - HOUR_MS, { status: 'dropped' }),
          due(FIXED_NOW - HOUR_MS, { status: 'sending' }),
        ];
        await store().write((tx) =>
          tx.enqueueNotifications([later, exactlyNow, sms, tieB, tieA, oldest, ...others]),
        );
        const claim = (channels: NotificationChannel[], limit: number, now = FIXED_NOW) =>
          store().write((tx) => tx.claimNotifications({ owner, channels, now, limit }));
        const claimed = (row: Notification, now = FIXED_NOW): Notification => ({
          ...row,
          status: 'sending',
          attempts: row.attempts + 1,
          updated_at: now,
        });

        expect(await claim(['email', 'sms'], 2)).toEqual([claimed(oldest), claimed(tieA)]);
        expect(await claim(['sms'], 10)).toEqual([claimed(sms)]);
        expect(await claim(['email'], 10)).toEqual([claimed(tieB), claimed(exactlyNow)]);
        expect(await claim(['email', 'sms'], 10)).toEqual([]);
        expect(await claim([], 10, FIXED_NOW + HOUR_MS)).toEqual([]);
        expect(await claim(['email'], 0, FIXED_NOW + HOUR_MS)).toEqual([]);
        expect(await store().getNotification(later.id)).toEqual(later);
        for (const other of others) {
          expect(await store().getNotification(other.id)).toEqual(other);
        }
        expect(await store().getNotification(oldest.id)).toEqual(claimed(oldest));
        expect(await claim(['email'], 10, FIXED_NOW + 1)).toEqual([claimed(later, FIXED_NOW + 1)]);
      });

      it('never hands one row to two claims, even when they run at once', async () => {
        const appointment = await seedAppointment();
        const owner = `node-${uniqueToken()}`;
        const rows = Array.from({ length: 20 }, (_, i) =>
          makeNotification({
            appointment_id: appointment.id,
            owner,
            next_attempt_at: FIXED_NOW - i,
          }),
        );
        await store().write((tx) => tx.enqueueNotifications(rows));
        const claims = await Promise.all(
          Array.from({ length: 8 }, () =>
            store().write((tx) =>
              tx.claimNotifications({ owner, channels: ['email'], now: FIXED_NOW, limit: 3 }),
            ),
          ),
        );
        const claimedIds = claims.flatMap((c) => ids(c));
        expect(new Set(claimedIds).size).toBe(claimedIds.length);
        expect(claimedIds.sort()).toEqual(sortedIds(rows));
        for (const c of claims) expect(c.every((n) => n.attempts === 1)).toBe(true);
      });

      it('releases the claims of one owner back to pending, due now', async () => {
        const appointment = await seedAppointment();
        const owner = `node-${uniqueToken()}`;
        const otherOwner = `node-${uniqueToken()}`;
        const mine = [1, 2].map((i) =>
          makeNotification({
            appointment_id: appointment.id,
            owner,
            next_attempt_at: FIXED_NOW - i,
          }),
        );
        const waiting = makeNotification({
          appointment_id: appointment.id,
          owner,
          next_attempt_at: FIXED_NOW + HOUR_MS,
        });
        const sent = makeNotification({
          appointment_id: appointment.id,
          owner,
          status: 'sent',
          sent_at: FIXED_NOW,
        });
        const theirs = makeNotification({
          appointment_id: appointment.id,
          owner: otherOwner,
          status: 'sending',
          attempts: 1,
        });
        await store().write((tx) => tx.enqueueNotifications([...mine, waiting, sent, theirs]));
        const taken = await store().write((tx) =>
          tx.claimNotifications({ owner, channels: ['email'], now: FIXED_NOW, limit: 10 }),
        );
        expect(sortedIds(taken)).toEqual(sortedIds(mine));

        const restart = FIXED_NOW + 5 * MINUTE_MS;
        expect(await store().write((tx) => tx.releaseNotificationClaims(owner, restart))).toBe(2);
        for (const row of mine) {
          expect(await store().getNotification(row.id)).toEqual({
            ...row,
            attempts: 1,
            next_attempt_at: restart,
            updated_at: restart,
          });
        }
        expect(await store().getNotification(waiting.id)).toEqual(waiting);
        expect(await store().getNotification(sent.id)).toEqual(sent);
        expect(await store().getNotification(theirs.id)).toEqual(theirs);
        expect(await store().write((tx) => tx.releaseNotificationClaims(owner, restart))).toBe(0);
        const again = await store().write((tx) =>
          tx.claimNotifications({ owner, channels: ['email'], now: restart, limit: 10 }),
        );
        expect(sortedIds(again)).toEqual(sortedIds(mine));
        expect(again.every((n) => n.attempts === 2)).toBe(true);
      });

      it('tells when the next pending row of an owner and channels is due', async () => {
        const appointment = await seedAppointment();
        const owner = `node-${uniqueToken()}`;
        const next = (channels: NotificationChannel[], who = owner) =>
          store().nextNotificationDue(who, channels);
        expect(await next(['email', 'sms'])).toBeUndefined();
        const row = (at: number, overrides: Partial<Notification> = {}) =>
          makeNotification({
            appointment_id: appointment.id,
            owner,
            next_attempt_at: at,
            ...overrides,
          });
        await store().write((tx) =>
          tx.enqueueNotifications([
            row(FIXED_NOW + 3 * HOUR_MS),
            row(FIXED_NOW + 2 * HOUR_MS, { channel: 'sms' }),
            row(FIXED_NOW + HOUR_MS, { status: 'failed' }),
            row(FIXED_NOW + HOUR_MS, { status: 'sending' }),
            row(FIXED_NOW - HOUR_MS, { owner: CENTRAL_OWNER }),
          ]),
        );
        expect(await next(['email'])).toBe(FIXED_NOW + 3 * HOUR_MS);
        expect(await next(['sms'])).toBe(FIXED_NOW + 2 * HOUR_MS);
        expect(await next(['email', 'sms'])).toBe(FIXED_NOW + 2 * HOUR_MS);
        expect(await next([])).toBeUndefined();
        expect(await next(['email'], `node-${uniqueToken()}`)).toBeUndefined();
        // An overdue row is due in the past: the dispatcher runs at once.
        await store().write((tx) =>
          tx.enqueueNotifications([row(FIXED_NOW - MINUTE_MS, { channel: 'sms' })]),
        );
        expect(await next(['email', 'sms'])).toBe(FIXED_NOW - MINUTE_MS);
      });

      it('lists notifications by (created_at, id), by status and appointment, page by page', async () => {
        const appointment = await seedAppointment();
        const other = await seedAppointment();
        const at = (t: number, overrides: Partial<Notification> = {}) =>
          makeNotification({
            appointment_id: appointment.id,
            created_at: FIXED_NOW + t,
            ...overrides,
          });
        const rows = [
          at(5),
          at(1, { status: 'sent', sent_at: FIXED_NOW + 2 }),
          at(3, { status: 'failed', attempts: 5, last_error: 'bounced' }),
          at(1),
          at(2, { status: 'dropped' }),
          at(4, { status: 'failed', attempts: 5 }),
        ];
        const elsewhere = makeNotification({ appointment_id: other.id, status: 'failed' });
        await store().write((tx) => tx.enqueueNotifications([...rows, elsewhere]));
        const ordered = [...rows].sort(byKeyThenId((n) => n.created_at));

        const all = await readAllPages(
          (page) => store().listNotifications({ ...page, appointment: appointment.id }),
          4,
        );
        expect(all).toEqual({ count: 6, rows: ordered });
        const failed = await store().listNotifications({
          limit: 1,
          offset: 1,
          status: 'failed',
          appointment: appointment.id,
        });
        expect(failed).toEqual({ count: 2, rows: [rows[5]] });
        const anyFailed = await readAllPages(
          (page) => store().listNotifications({ ...page, status: 'failed' }),
          50,
        );
        expect(anyFailed.rows.every((n) => n.status === 'failed')).toBe(true);
        expect(ids(anyFailed.rows)).toEqual(
          expect.arrayContaining([rows[2]!.id, rows[5]!.id, elsewhere.id]),
        );
        const everything = await store().listNotifications({ limit: 1000, offset: 0 });
        expect(ids(everything.rows)).toEqual(expect.arrayContaining(ids([...rows, elsewhere])));
        expect(
          await store().listNotifications({ limit: 10, offset: 0, appointment: newId() }),
        ).toEqual({ count: 0, rows: [] });
      });

      it("lists an appointment's pending reminders, whoever delivers them", async () => {
        const appointment = await seedAppointment();
        const other = await seedAppointment();
        const reminder = (overrides: Partial<Notification> = {}) =>
          makeNotification({
            appointment_id: appointment.id,
            event: 'reminder',
            reminder_for: appointment.start_time,
            next_attempt_at: appointment.start_time - 24 * HOUR_MS,
            ...overrides,
          });
        const central = reminder({ created_at: FIXED_NOW + 2 });
        const nodes = reminder({ created_at: FIXED_NOW + 1, owner: `node-${uniqueToken()}` });
        await store().write((tx) =>
          tx.enqueueNotifications([
            central,
            nodes,
            reminder({ status: 'sent', sent_at: FIXED_NOW }),
            reminder({ status: 'dropped' }),
            reminder({ status: 'sending' }),
            makeNotification({ appointment_id: appointment.id, event: 'created' }),
            makeNotification({ appointment_id: other.id, event: 'reminder' }),
          ]),
        );
        expect(await store().write((tx) => tx.pendingReminders(appointment.id))).toEqual([
          nodes,
          central,
        ]);
        expect(await store().write((tx) => tx.pendingReminders(newId()))).toEqual([]);
      });
    });

    describe('meta and health', () => {
      const store = useStore(makeStore);

      it('gets and sets meta values', async () => {
        const key = `node_id_${uniqueToken()}`;
        expect(await store().getMeta(key)).toBeUndefined();
        await store().setMeta(key, 'edge-1');
        expect(await store().getMeta(key)).toBe('edge-1');
        await store().setMeta(key, '');
        expect(await store().getMeta(key)).toBe('');
        await store().setMeta(key, 'edge-2 ✓');
        expect(await store().getMeta(key)).toBe('edge-2 ✓');
      });

      it('answers ping', async () => {
        await expect(store().ping()).resolves.toBeUndefined();
      });
    });
  });
}
