/**
 * A notification backlog for the dispatcher benchmark: `count` pending `created` emails
 * that the node itself delivers (owner = its node id), due now, written through the node's
 * store (WriteTx: insertAppointment + enqueueNotifications, as a booking writes them) on
 * scheduled appointments in the future, two emails (patient, provider) per appointment.
 * The rows come from core's buildNotifications, so keys, addresses and fields are the
 * application's own.
 */
import { buildNotifications, type NotifySettings } from '@clinic/core';
import {
  APPOINTMENT_TYPES,
  HOUR_MS,
  MINUTE_MS,
  type Appointment,
  type AppointmentType,
  type Patient,
  type User,
} from '@clinic/domain';
import type { NodeRuntime } from '@clinic/server';
import type { Directory } from './dataset';
import { progress } from './log';
import { SEED_BATCH } from './seed';

/** The reason of the backlog's appointments (how their rows are told from the others). */
export const BACKLOG_REASON = 'Notification benchmark';

/**
 * Writes ceil(count / 2) appointments (from `firstStart` on, one per provider per hour,
 * 30 min long) and `count` pending emails owned by the runtime's node.
 */
export async function seedPendingEmails(
  runtime: NodeRuntime,
  dir: Directory,
  firstStart: number,
  count: number,
  scope: string,
): Promise<void> {
  const { store, ids, nodeId, clock } = runtime;
  const now = clock.now();
  const own: NotifySettings = { self: nodeId, ownerFor: () => nodeId, reminderLeadMs: 0 };
  const appointments = Math.ceil(count / 2);
  const report = progress(scope, 'appointments with pending emails', appointments);
  let queued = 0;
  for (let from = 0; from < appointments; from += SEED_BATCH) {
    const to = Math.min(appointments, from + SEED_BATCH);
    await store.write(async (tx) => {
      for (let k = from; k < to; k += 1) {
        const provider = dir.providers[k % dir.providers.length] as User;
        const patient = dir.patients[k % dir.patients.length] as Patient;
        const start = firstStart + Math.floor(k / dir.providers.length) * HOUR_MS;
        const appointment: Appointment = {
          id: ids.next(),
          patient: patient.id,
          provider: provider.id,
          facility: provider.facilities[0] as string,
          appointment_type: APPOINTMENT_TYPES[k % APPOINTMENT_TYPES.length] as AppointmentType,
          reason: BACKLOG_REASON,
          status: 'scheduled',
          start_time: start,
          end_time: start + 30 * MINUTE_MS,
          created_by: provider.id,
          deleted_at: null,
          clocks: '{}',
          origin_node: nodeId,
          version: 1,
          created_at: now,
          updated_at: now,
        };
        const emails = buildNotifications({
          ids,
          now,
          appointmentId: appointment.id,
          event: 'created',
          occurrence: `${now}`,
          to: [
            { recipient: 'patient', ...patient },
            { recipient: 'provider', ...provider },
          ],
          settings: own,
        })
          .filter((n) => n.channel === 'email')
          .slice(0, count - queued);
        queued += emails.length;
        await tx.insertAppointment(appointment);
        await tx.enqueueNotifications(emails);
      }
    });
    report(to);
  }
  if (queued !== count) throw new Error(`queued ${queued} emails instead of ${count}`);
}
