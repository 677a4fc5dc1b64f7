/**
 * The pull applier's rule for notifications (pull-tables.ts), on a real SQLite file: a
 * pulled row overwrites a local one only when central delivers it or the pulled copy is
 * newer; a pulled row whose dedupe_key is held locally under another id is skipped
 * without failing its batch; a row whose appointment has not arrived yet waits for it.
 */
import { join } from 'node:path';
import { CENTRAL_OWNER, type Appointment, type Notification } from '@clinic/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FIXED_NOW,
  makeAppointment,
  makeFacility,
  makeNotification,
  makePatient,
  makeUser,
} from '../../../../tests/conformance/fixtures';
import { makeTempDir, type TempDir } from '../../../../tests/support/tmp-dir';
import { openSqliteStore } from '../open';
import type { SqliteStore } from '../store';
import {
  applyShapeBatch,
  readShapePosition,
  retryDeferredParents,
  type PullMessage,
} from './pull-apply';

const NODE = 'node-7';

let dir: TempDir;
let store: SqliteStore;
let appointment: Appointment;

beforeEach(async () => {
  dir = await makeTempDir('clinic-pull-apply');
  store = openSqliteStore({ file: join(dir.path, 'edge.db') });
  appointment = await seedAppointment();
});
afterEach(async () => {
  await store.close();
  await dir.cleanup();
});

async function seedAppointment(): Promise<Appointment> {
  const facility = makeFacility();
  const provider = makeUser({ facilities: [facility.id] });
  const patient = makePatient();
  const row = makeAppointment({
    facility: facility.id,
    provider: provider.id,
    patient: patient.id,
  });
  await store.write(async (tx) => {
    await tx.insertFacility(facility);
    await tx.insertUser(provider);
    await tx.insertPatient(patient);
    await tx.insertAppointment(row);
  });
  return row;
}

const upserts = (...rows: Notification[]): PullMessage[] =>
  rows.map((row) => ({ op: 'update', row }));

const position = { offset: '7_0', handle: 'h-1' };

async function queueLocally(...rows: Notification[]): Promise<void> {
  await store.write((tx) => tx.enqueueNotifications(rows));
}

describe('pulling notifications', () => {
  it("inserts central's rows and always takes central's copy of a row central delivers", async () => {
    const row = makeNotification({ appointment_id: appointment.id, owner: CENTRAL_OWNER });
    await applyShapeBatch(store, 'notifications', upserts(row), position);
    expect(await store.getNotification(row.id)).toEqual(row);

    // The node relayed a row for central to deliver: central's state is the truth, even
    // when its clock says earlier than the node's copy.
    const relayed = makeNotification({ appointment_id: appointment.id, updated_at: FIXED_NOW + 9 });
    await queueLocally(relayed);
    const sent = { ...relayed, status: 'sent' as const, sent_at: FIXED_NOW + 5, attempts: 1 };
    await applyShapeBatch(
      store,
      'notifications',
      upserts({ ...sent, updated_at: FIXED_NOW + 5 }),
      position,
    );
    expect(await store.getNotification(relayed.id)).toEqual({ ...sent, updated_at: FIXED_NOW + 5 });
  });

  it("never lets central's stale copy overwrite the node's own row; a newer one wins", async () => {
    const own = makeNotification({
      appointment_id: appointment.id,
      owner: NODE,
      status: 'sent',
      attempts: 1,
      sent_at: FIXED_NOW + 10,
      updated_at: FIXED_NOW + 10,
    });
    await queueLocally(own);
    const stale = { ...own, status: 'pending' as const, attempts: 0, sent_at: null };
    await applyShapeBatch(
      store,
      'notifications',
      upserts({ ...stale, updated_at: FIXED_NOW + 1 }, { ...stale, updated_at: FIXED_NOW + 10 }),
      position,
    );
    expect(await store.getNotification(own.id)).toEqual(own);

    // An admin retried it at central after the node's last change: that is newer.
    const retried = {
      ...own,
      status: 'pending' as const,
      next_attempt_at: FIXED_NOW + 20,
      updated_at: FIXED_NOW + 20,
    };
    await applyShapeBatch(store, 'notifications', upserts(retried), position);
    expect(await store.getNotification(own.id)).toEqual(retried);
  });

  it('skips a row whose dedupe_key the node holds under another id, and applies the rest', async () => {
    const local = makeNotification({ appointment_id: appointment.id, owner: NODE });
    await queueLocally(local);
    const twin = makeNotification({
      appointment_id: appointment.id,
      dedupe_key: local.dedupe_key,
      address: 'twin@example.org',
    });
    const other = makeNotification({ appointment_id: appointment.id });
    const result = await applyShapeBatch(store, 'notifications', upserts(twin, other), position);
    expect(result.deferred).toBe(0);
    expect(await store.getNotification(twin.id)).toBeUndefined();
    expect(await store.getNotification(local.id)).toEqual(local);
    expect(await store.getNotification(other.id)).toEqual(other);
    expect(readShapePosition(store, 'notifications')).toEqual(position);
  });

  it('waits for an appointment that has not arrived yet', async () => {
    const later = makeAppointment({
      facility: appointment.facility,
      provider: appointment.provider,
      patient: appointment.patient,
      start_time: appointment.start_time + 3_600_000,
      end_time: appointment.end_time + 3_600_000,
    });
    const row = makeNotification({ appointment_id: later.id });
    const result = await applyShapeBatch(store, 'notifications', upserts(row), position);
    expect(result).toMatchObject({ applied: 0, deferred: 1 });
    expect(await store.getNotification(row.id)).toBeUndefined();

    await applyShapeBatch(store, 'appointments', [{ op: 'update', row: later }], null);
    expect(await retryDeferredParents(store)).toBe(1);
    expect(await store.getNotification(row.id)).toEqual(row);
  });
});
