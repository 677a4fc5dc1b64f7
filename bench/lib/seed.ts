/**
 * Seeding a node's data directory in-process, before its server process starts: the
 * node's own runtime (createNodeRuntime over the app's store) creates the directory
 * through the application services (one transaction per facility / provider / patient,
 * as the API would), then the appointments "on file" go through the SAME store's
 * `write()` and its WriteTx (insertAppointment + enqueueNotifications), many per
 * transaction: booking 20k through the HTTP API or the service one by one would take
 * minutes on PGlite.
 */
import { hashPassword } from '@clinic/auth';
import type { Facility, Patient, User } from '@clinic/domain';
import type { NodeRuntime } from '@clinic/server';
import {
  facilityFields,
  facilityIndexOf,
  patientFields,
  providerFields,
  seededAppointment,
  type Directory,
  type Shape,
} from './dataset';
import { progress } from './log';

/** Directory rows per transaction when bulk-loading (the raw baselines use it too). */
export const SEED_BATCH = 1000;

export const PROVIDER_PASSWORD = 'bench-provider-password';

/** Creates the directory through the node's services; returns the rows it made. */
export async function seedDirectory(
  runtime: NodeRuntime,
  shape: Shape,
  scope: string,
): Promise<Directory> {
  const { directory } = runtime;
  const facilities: Facility[] = [];
  for (let i = 0; i < shape.facilities; i += 1) {
    facilities.push(await directory.facilities.create(facilityFields(i)));
  }
  const facilityId = (i: number) => facilities[facilityIndexOf(i, shape)]!.id;

  const passwordHash = await hashPassword(PROVIDER_PASSWORD);
  const providers: User[] = [];
  for (let j = 0; j < shape.providers; j += 1) {
    providers.push(await directory.users.create(providerFields(j, facilityId(j), passwordHash)));
  }

  const patients: Patient[] = [];
  const report = progress(scope, 'patients (via the service)', shape.patients);
  for (let i = 0; i < shape.patients; i += 1) {
    patients.push(await directory.patients.create(patientFields(i, facilityId(i))));
    report(i + 1);
  }
  return { facilities, providers, patients };
}

/** Writes the seeded appointments and their notifications through the store's WriteTx. */
export async function seedAppointments(
  runtime: NodeRuntime,
  dir: Directory,
  shape: Shape,
  day0: number,
  scope: string,
): Promise<void> {
  const { store, ids, nodeId, clock } = runtime;
  const now = clock.now();
  const report = progress(scope, 'appointments (via the store)', shape.appointments);
  for (let from = 0; from < shape.appointments; from += SEED_BATCH) {
    const to = Math.min(shape.appointments, from + SEED_BATCH);
    await store.write(async (tx) => {
      for (let k = from; k < to; k += 1) {
        const s = seededAppointment(k, dir, shape, day0, ids, now, nodeId);
        await tx.insertAppointment(s.appointment);
        await tx.enqueueNotifications(s.notifications);
      }
    });
    report(to);
  }
}
