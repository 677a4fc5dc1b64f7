/**
 * The edge's write hooks: every local write of an appointment or a patient appends its
 * mutation to the outbox in the same SQLite transaction (sync/SPEC.md section 2), so a
 * write and the record that it must be pushed can never be separated by a crash.
 */
import type {
  AppointmentChange,
  OutboxEntry,
  PatientChange,
  WriteHooks,
  WriteTx,
} from '@clinic/core';
import { formatHlc } from '@clinic/domain';
import {
  MAX_NOTIFICATIONS_PER_MUTATION,
  type AppointmentPutArgs,
  type AppointmentWire,
  type PatientPutArgs,
  type PatientWire,
} from '../protocol';

function appointmentWire(row: AppointmentChange['after']): AppointmentWire {
  return {
    id: row.id,
    patient: row.patient,
    provider: row.provider,
    facility: row.facility,
    appointment_type: row.appointment_type,
    reason: row.reason,
    status: row.status,
    start_time: row.start_time,
    end_time: row.end_time,
    created_by: row.created_by,
    deleted_at: row.deleted_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function patientWire(row: PatientChange['after']): PatientWire {
  return {
    id: row.id,
    patient_id: row.patient_id,
    first_name: row.first_name,
    last_name: row.last_name,
    phone_number: row.phone_number,
    email: row.email,
    registered_facility: row.registered_facility,
    is_active: row.is_active,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Appends one mutation, stamped with the latest clock of its write. */
async function append(
  tx: WriteTx,
  kind: OutboxEntry['kind'],
  after: { id: string; updated_at: number },
  clocks: Readonly<Record<string, string | undefined>>,
  args: AppointmentPutArgs | PatientPutArgs,
): Promise<void> {
  await tx.appendOutbox({
    kind,
    entity_id: after.id,
    hlc:
      Object.values(clocks)
        .filter((c) => c !== undefined)
        .sort()
        .at(-1) ?? '',
    args: JSON.stringify(args),
    created_at: after.updated_at,
  });
}

/** `onWrite` is told after each queued mutation (the engine pushes shortly after). */
export function outboxHooks(onWrite: () => void = () => {}): WriteHooks {
  return {
    async appointmentWritten(tx, change) {
      if (change.changed.length === 0) return;
      await append(tx, 'appointment.put', change.after, change.clocks, {
        row: appointmentWire(change.after),
        changed: change.changed,
        base: change.base,
        clocks: change.clocks,
        created: change.before === undefined,
      });
      onWrite();
    },
    async patientWritten(tx, change) {
      if (change.changed.length === 0) return;
      await append(tx, 'patient.put', change.after, change.clocks, {
        row: patientWire(change.after),
        changed: change.changed,
        clocks: change.clocks,
        created: change.before === undefined,
      });
      onWrite();
    },
    /**
     * Queued rows go to central (the relayed ones for central to deliver, this node's own
     * as history); so does each later state of this node's own rows. The outbox keeps
     * only their ids (`{ids}`): the outbox store reads the rows as they are when it pushes
     * (sync/SPEC.md section 8). The stamp is the rows' time: notifications merge by owner
     * and updated_at, not by clocks.
     */
    async notificationsWritten(tx, rows) {
      for (let i = 0; i < rows.length; i += MAX_NOTIFICATIONS_PER_MUTATION) {
        const chunk = rows.slice(i, i + MAX_NOTIFICATIONS_PER_MUTATION);
        const first = chunk[0]!;
        const at = Math.max(...chunk.map((n) => n.updated_at));
        await tx.appendOutbox({
          kind: 'notifications.put',
          entity_id: first.id,
          hlc: formatHlc({ ms: at, counter: 0, node: first.owner }),
          args: JSON.stringify({ ids: chunk.map((n) => n.id) }),
          created_at: at,
        });
      }
      if (rows.length > 0) onWrite();
    },
  };
}
