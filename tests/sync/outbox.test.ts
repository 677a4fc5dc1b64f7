/**
 * The edge's outbox (sync/SPEC.md section 2): every local write of an appointment or a
 * patient appends its mutation in the SAME transaction, with the registers it changed and
 * their clocks; a write that is refused leaves no mutation behind.
 */
import { silentLogger } from '@clinic/api';
import type { WriteHooks } from '@clinic/core';
import { createNodeRuntime, type NodeRuntime } from '@clinic/server';
import { createOutboxStore, openSqliteStore, type SqliteStore } from '@clinic/store-sqlite';
import { outboxHooks, type AppointmentPutArgs, type PatientPutArgs } from '@clinic/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../support/tmp-dir';

const HOUR = 3_600_000;
let dir: TempDir;
let store: SqliteStore;

afterEach(async () => {
  await store?.close();
  await dir?.cleanup();
});

async function node(hooks: () => WriteHooks = () => outboxHooks()): Promise<NodeRuntime> {
  dir = await makeTempDir('clinic-outbox');
  store = openSqliteStore({ file: `${dir.path}/clinic.db` });
  return createNodeRuntime({
    role: 'edge',
    store,
    dataDir: dir.path,
    logger: silentLogger(),
    version: 'test',
    hooks,
  });
}

describe('the outbox', () => {
  it('records each write with its changed registers, and nothing for a refused one', async () => {
    const rt = await node();
    const outbox = createOutboxStore(store);
    const facility = await rt.directory.facilities.create({
      name: 'F',
      timezone: 'UTC',
      capacity: 1,
      is_active: true,
    });
    const provider = await rt.directory.users.create({
      username: 'dr.x',
      password_hash: 'x',
      role: 'provider',
      user_type: 'doctor',
      first_name: 'A',
      last_name: 'B',
      email: '',
      phone_number: '',
      facilities: [facility.id],
      is_active: true,
    });
    expect(await outbox.countPending()).toBe(0); // staff come from central: not pushed
    const patient = await rt.directory.patients.create({
      patient_id: 'MRN-1',
      first_name: 'P',
      last_name: 'Q',
      phone_number: '',
      email: '',
      registered_facility: facility.id,
      is_active: true,
    });
    const start = Date.now() + 24 * HOUR;
    const fields = {
      patient: patient.id,
      provider: provider.id,
      facility: facility.id,
      appointment_type: 'consultation' as const,
      reason: 'r',
      start_time: start,
      end_time: start + HOUR,
    };
    const booked = await rt.appointments.create(fields, { userId: provider.id, role: 'provider' });
    await expect(
      rt.appointments.create(fields, { userId: provider.id, role: 'provider' }),
    ).rejects.toThrow(/overlaps/);
    await rt.appointments.update(booked.id, { reason: 'changed' });
    await rt.appointments.remove(booked.id);

    const rows = await outbox.pending(100);
    expect(rows.map((r) => [r.seq, r.kind, r.entity_id])).toEqual([
      [1, 'patient.put', patient.id],
      [2, 'appointment.put', booked.id],
      [3, 'appointment.put', booked.id],
      [4, 'appointment.put', booked.id],
    ]);
    const p = JSON.parse(rows[0]!.args) as PatientPutArgs;
    expect(p.created).toBe(true);
    const [created, edited, removed] = rows
      .slice(1)
      .map((r) => JSON.parse(r.args) as AppointmentPutArgs);
    expect(created).toMatchObject({ created: true, base: {} });
    expect(created!.changed.sort()).toEqual(['deleted', 'details', 'slot', 'status']);
    expect(edited).toMatchObject({ created: false, changed: ['details'], base: created!.clocks });
    expect(edited!.row.reason).toBe('changed');
    expect(edited!.clocks.details! > created!.clocks.details!).toBe(true);
    expect(removed!.changed.sort()).toEqual(['deleted', 'status']);
    expect(removed!.row.deleted_at).not.toBeNull();

    // The clocks on the row equal those of its last mutation.
    const row = await store.getAppointment(booked.id, { includeDeleted: true });
    expect(JSON.parse(row!.clocks)).toEqual(removed!.clocks);
  });

  it('writes the mutation in the transaction of the change: a failing hook rolls the change back', async () => {
    // The outbox hook runs, then the transaction fails: the write must leave nothing behind.
    const failing = await node(() => ({
      patientWritten: async (tx, change) => {
        await outboxHooks().patientWritten!(tx, change);
        throw new Error('power cut');
      },
    }));
    const facility = await failing.directory.facilities.create({
      name: 'F',
      timezone: 'UTC',
      capacity: 1,
      is_active: true,
    });
    await expect(
      failing.directory.patients.create({
        patient_id: 'MRN-2',
        first_name: 'P',
        last_name: 'Q',
        phone_number: '',
        email: '',
        registered_facility: facility.id,
        is_active: true,
      }),
    ).rejects.toThrow('power cut');
    expect((await store.listPatients({ limit: 10, offset: 0 })).count).toBe(0);
    expect(await createOutboxStore(store).countPending()).toBe(0);
  });
});
