/**
 * Smoke tests of the PostgreSQL store on both flavours (PGlite cloned from a migrated
 * template; a fresh database on the server of TEST_DATABASE_URL). The full contract is
 * tests/conformance; these pin what this adapter decides on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError, ErrorCode, HOUR_MS, MAX_DURATION_MS, MINUTE_MS } from '@clinic/domain';
import type { Store } from '@clinic/core';
import {
  FIXED_NOW,
  makeAppointment,
  makeFacility,
  makeNotification,
  makePatient,
  makeUser,
} from '../../../tests/conformance/fixtures';
import { openTestPostgresStore, testDatabaseUrl } from '../../../tests/support/postgres';
import { createPgliteTemplate } from './index';

const adminUrl = testDatabaseUrl('store-postgres smoke');

interface Flavour {
  name: string;
  skip: boolean;
  open(): Promise<{ store: Store; dispose(): Promise<void> }>;
}

let template: ReturnType<typeof createPgliteTemplate> | undefined;

const flavours: Flavour[] = [
  {
    name: 'pglite',
    skip: false,
    async open() {
      template ??= createPgliteTemplate();
      const store = await (await template).open();
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'postgres',
    skip: adminUrl === undefined,
    open: () => openTestPostgresStore(adminUrl ?? ''),
  },
];

/** A facility, a provider and a patient, inserted. */
async function world(store: Store) {
  const facility = makeFacility();
  const provider = makeUser({ facilities: [facility.id] });
  const patient = makePatient({ registered_facility: facility.id });
  await store.write(async (tx) => {
    await tx.insertFacility(facility);
    await tx.insertUser(provider);
    await tx.insertPatient(patient);
  });
  return { facility, provider, patient };
}

for (const flavour of flavours) {
  describe.skipIf(flavour.skip)(`store-postgres smoke (${flavour.name})`, () => {
    let store: Store;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ store, dispose } = await flavour.open());
    });
    afterAll(async () => {
      await dispose?.();
    });

    it('reports its kind, pings and keeps meta', async () => {
      expect(store.kind).toBe(flavour.name);
      await store.ping();
      expect(await store.getMeta('node_id')).toBeUndefined();
      await store.setMeta('node_id', 'a');
      await store.setMeta('node_id', 'b');
      expect(await store.getMeta('node_id')).toBe('b');
    });

    it('round-trips rows with millisecond times and booleans', async () => {
      const { facility, provider, patient } = await world(store);
      expect(await store.getFacility(facility.id)).toEqual(facility);
      expect(await store.getUser(provider.id)).toEqual(provider);
      expect(await store.getUserByUsername(provider.username)).toEqual(provider);
      expect(await store.getPatient(patient.id)).toEqual(patient);
      expect(await store.getPatient('not-a-uuid')).toBeUndefined();
      expect(await store.getFacility('0190aaaa-0000-7000-8000-000000000000')).toBeUndefined();
    });

    it('keeps epoch milliseconds exact (property)', async () => {
      const { facility, provider, patient } = await world(store);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: -2e12, max: 6e12 }), async (start) => {
          const row = makeAppointment({
            patient: patient.id,
            provider: provider.id,
            facility: facility.id,
            start_time: start,
            end_time: start + 1,
            created_at: start + 7,
            updated_at: start + 999,
            deleted_at: start + 3,
          });
          await store.write((tx) => tx.insertAppointment(row));
          const back = await store.getAppointment(row.id, { includeDeleted: true });
          expect(back).toMatchObject(row);
        }),
        { numRuns: 40 },
      );
    });

    it('stores user facilities once each, sorted, and replaces them on update', async () => {
      const [a, b] = [makeFacility(), makeFacility()];
      const user = makeUser({ facilities: [b!.id, a!.id, b!.id] });
      await store.write(async (tx) => {
        await tx.insertUser(user); // links before their facilities: FKs are deferred
        await tx.insertFacility(a!);
        await tx.insertFacility(b!);
      });
      expect((await store.getUser(user.id))?.facilities).toEqual([a!.id, b!.id].sort());
      await store.write((tx) => tx.updateUser({ ...user, facilities: [a!.id], version: 2 }));
      expect(await store.getUser(user.id)).toMatchObject({ facilities: [a!.id], version: 2 });
      const linked = await store.listUsers({ limit: 10, offset: 0, facility: b!.id });
      expect(linked.count).toBe(0);
    });

    it('maps duplicate usernames and MRNs to DomainError and rolls back', async () => {
      const { provider, patient } = await world(store);
      const facility = makeFacility();
      const dupUser = store.write(async (tx) => {
        await tx.insertFacility(facility);
        await tx.insertUser(makeUser({ username: provider.username }));
      });
      await expect(dupUser).rejects.toMatchObject({
        code: ErrorCode.Duplicate,
        details: { username: ['A user with that username already exists.'] },
      });
      expect(await store.getFacility(facility.id)).toBeUndefined();
      await expect(
        store.write((tx) => tx.insertPatient(makePatient({ patient_id: patient.patient_id }))),
      ).rejects.toMatchObject({
        code: ErrorCode.Duplicate,
        details: { patient_id: ['A patient with this patient_id already exists.'] },
      });
      const other = makePatient();
      await store.write((tx) => tx.insertPatient(other));
      const error = await store
        .write((tx) => tx.updatePatient({ ...other, patient_id: patient.patient_id }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).details).toEqual({
        patient_id: ['A patient with this patient_id already exists.'],
      });
    });

    it('rethrows the callback error unchanged and rolls back', async () => {
      const facility = makeFacility();
      const boom = new Error('boom');
      const result = store.write(async (tx) => {
        await tx.insertFacility(facility);
        throw boom;
      });
      await expect(result).rejects.toBe(boom);
      expect(await store.getFacility(facility.id)).toBeUndefined();
    });

    it('throws when an update matches no row, and when a tx is used after its write', async () => {
      await expect(store.write((tx) => tx.updateFacility(makeFacility()))).rejects.toThrow(
        /no such row/,
      );
      let leaked: Parameters<Parameters<Store['write']>[0]>[0] | undefined;
      await store.write(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.getFacility(makeFacility().id)).rejects.toThrow();
    });

    it('answers a store-level read inside write(): committed data, or a throw on PGlite', async () => {
      const facility = makeFacility();
      const read = store.write(async (tx) => {
        await tx.insertFacility(facility);
        return store.getFacility(facility.id);
      });
      if (flavour.name === 'pglite') {
        // One connection: waiting for the open transaction would hang forever.
        await expect(read).rejects.toThrow(/deadlock/);
        await expect(store.write(() => store.write(async () => 1))).rejects.toThrow(/deadlock/);
      } else {
        await expect(read).resolves.toBeUndefined();
      }
    });

    it('finds overlaps per dimension, half-open, bounded, de-duplicated', async () => {
      const { facility, provider, patient } = await world(store);
      const base = FIXED_NOW + 100 * HOUR_MS;
      const mk = (start: number, minutes: number, extra = {}) =>
        makeAppointment({
          patient: patient.id,
          provider: provider.id,
          facility: facility.id,
          start_time: start,
          end_time: start + minutes * MINUTE_MS,
          ...extra,
        });
      const hit = mk(base, 60);
      const backToBack = mk(base + HOUR_MS, 30);
      const cancelled = mk(base, 60, { status: 'cancelled' });
      const deleted = mk(base, 60, { deleted_at: base });
      const noShow = mk(base - 30 * MINUTE_MS, 90, { status: 'no_show' });
      await store.write(async (tx) => {
        for (const a of [hit, backToBack, cancelled, deleted, noShow])
          await tx.insertAppointment(a);
      });
      const query = {
        start_time: base + 30 * MINUTE_MS,
        end_time: base + HOUR_MS,
        provider: provider.id,
        patient: patient.id,
        facility: facility.id,
        maxDurationMs: MAX_DURATION_MS,
      };
      const rows = await store.findActiveOverlapping(query);
      expect(rows.map((r) => r.id)).toEqual([noShow.id, hit.id]);
      expect(rows[1]).toEqual({
        id: hit.id,
        provider: provider.id,
        patient: patient.id,
        facility: facility.id,
        status: 'scheduled',
        start_time: hit.start_time,
        end_time: hit.end_time,
        patient_first_name: patient.first_name,
        patient_last_name: patient.last_name,
      });
      const excluded = await store.findActiveOverlapping({ ...query, excludeId: hit.id });
      expect(excluded.map((r) => r.id)).toEqual([noShow.id]);
      // Only the facility matches: another provider and patient.
      const byFacility = await store.findActiveOverlapping({
        ...query,
        provider: makeUser().id,
        patient: makePatient().id,
      });
      expect(byFacility.map((r) => r.id)).toEqual([noShow.id, hit.id]);
    });

    it('lists appointments with filters, escaped search, ordering and paging', async () => {
      const { facility, provider, patient } = await world(store);
      const patient2 = makePatient({ first_name: '50%_off', registered_facility: facility.id });
      await store.write((tx) => tx.insertPatient(patient2));
      const base = FIXED_NOW + 1000 * HOUR_MS;
      const rows = [0, 1, 1, 2].map((h, i) =>
        makeAppointment({
          patient: i === 3 ? patient2.id : patient.id,
          provider: provider.id,
          facility: facility.id,
          start_time: base + h * HOUR_MS,
          end_time: base + h * HOUR_MS + 30 * MINUTE_MS,
          created_at: FIXED_NOW + i,
        }),
      );
      const gone = makeAppointment({
        patient: patient.id,
        provider: provider.id,
        facility: facility.id,
        deleted_at: FIXED_NOW,
      });
      await store.write(async (tx) => {
        for (const a of [...rows, gone]) await tx.insertAppointment(a);
      });
      const all = await store.listAppointments({
        limit: 2,
        offset: 0,
        facility: facility.id,
        ordering: 'start_time',
      });
      expect(all.count).toBe(4);
      const sameHour = [rows[1]!.id, rows[2]!.id].sort();
      expect(all.rows.map((r) => r.id)).toEqual([rows[0]!.id, sameHour[0]]);
      expect(all.rows[0]).toMatchObject({
        patient_mrn: patient.patient_id,
        provider_first_name: provider.first_name,
        provider_user_type: provider.user_type,
        facility_name: facility.name,
        facility_timezone: facility.timezone,
      });
      const desc = await store.listAppointments({
        limit: 10,
        offset: 1,
        facility: facility.id,
        ordering: '-start_time',
      });
      expect(desc.rows.map((r) => r.id)).toEqual([...sameHour, rows[0]!.id]);
      const beyond = await store.listAppointments({
        limit: 10,
        offset: 50,
        facility: facility.id,
        ordering: 'start_time',
      });
      expect(beyond).toEqual({ count: 4, rows: [] });
      const search = await store.listAppointments({
        limit: 10,
        offset: 0,
        search: '50%_O',
        ordering: 'start_time',
      });
      expect(search.rows.map((r) => r.id)).toEqual([rows[3]!.id]);
      const literal = await store.listAppointments({
        limit: 10,
        offset: 0,
        facility: facility.id,
        search: '5_%',
        ordering: 'start_time',
      });
      expect(literal.count).toBe(0);
      const upcoming = await store.listAppointments({
        limit: 10,
        offset: 0,
        facility: facility.id,
        startsAfter: base + HOUR_MS,
        ordering: 'created_at',
      });
      expect(upcoming.rows.map((r) => r.id)).toEqual([rows[3]!.id]);
      expect(await store.getAppointment(gone.id)).toBeUndefined();
      expect((await store.getAppointment(gone.id, { includeDeleted: true }))?.id).toBe(gone.id);
      const malformed = await store.listAppointments({
        limit: 10,
        offset: 0,
        provider: 'nope',
        ordering: 'start_time',
      });
      expect(malformed.count).toBe(0);
    });

    it('queues notifications once per id and dedupe key and lists the sent ones oldest first', async () => {
      const { facility, provider, patient } = await world(store);
      const appt = makeAppointment({
        patient: patient.id,
        provider: provider.id,
        facility: facility.id,
      });
      const later = makeNotification({
        appointment_id: appt.id,
        status: 'sent',
        created_at: FIXED_NOW + 2,
        sent_at: FIXED_NOW + 5,
      });
      const earlier = makeNotification({
        appointment_id: appt.id,
        status: 'sent',
        channel: 'sms',
        created_at: FIXED_NOW + 1,
        sent_at: FIXED_NOW + 3,
      });
      const pending = makeNotification({ appointment_id: appt.id });
      const returned = await store.write(async (tx) => {
        await tx.insertAppointment(appt);
        return [
          await tx.enqueueNotifications([later, earlier, pending]),
          await tx.enqueueNotifications([
            { ...later, id: makeNotification({ appointment_id: appt.id }).id },
          ]),
          await tx.enqueueNotifications([
            makeNotification({ appointment_id: appt.id, id: pending.id }),
          ]),
          await tx.enqueueNotifications([]),
        ];
      });
      expect(returned).toEqual([[later, earlier, pending], [], [], []]);
      expect(await store.listSentNotifications(appt.id)).toEqual([earlier, later]);
    });

    it('lists users and patients by created_at then id, with search and count', async () => {
      const facility = makeFacility();
      const t = FIXED_NOW + 5000;
      const users = [
        makeUser({ first_name: 'Zed', created_at: t + 1, role: 'admin', user_type: 'admin' }),
        makeUser({ first_name: 'Zed', created_at: t, role: 'admin', user_type: 'admin' }),
      ];
      const patients = [
        makePatient({ registered_facility: facility.id, last_name: 'Kip_1', created_at: t }),
        makePatient({ registered_facility: facility.id, last_name: 'Kip_2', created_at: t }),
      ];
      await store.write(async (tx) => {
        await tx.insertFacility(facility);
        for (const u of users) await tx.insertUser(u);
        for (const p of patients) await tx.insertPatient(p);
      });
      const u = await store.listUsers({ limit: 1, offset: 0, role: 'admin', search: 'zed' });
      expect(u).toEqual({ count: 2, rows: [users[1]] });
      const p = await store.listPatients({
        limit: 5,
        offset: 0,
        registered_facility: facility.id,
        search: 'baraka kip_',
      });
      expect(p.rows.map((r) => r.id)).toEqual(patients.map((r) => r.id).sort());
      const f = await store.listFacilities({ limit: 1000, offset: 0 });
      expect(f.rows.map((r) => r.id)).toContain(facility.id);
      expect(f.count).toBe(f.rows.length);
    });

    it('closes idempotently', async () => {
      const other = await flavour.open();
      await other.store.close();
      await other.store.close();
      await other.dispose();
    });
  });
}
