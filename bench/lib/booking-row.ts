/**
 * The appointment row a raw baseline inserts for one booking: the same columns and values
 * the application writes (packages/core/src/appointments.ts), built in one place for both
 * raw baselines.
 */
import type { Appointment, IdGenerator } from '@clinic/domain';
import type { Booking } from './dataset';

export function bookingRow(b: Booking, ids: IdGenerator, now: number, nodeId: string): Appointment {
  return {
    id: ids.next(),
    ...b,
    status: 'scheduled',
    // The server books as the admin; any existing user costs the same FK check.
    created_by: b.provider,
    deleted_at: null,
    clocks: '{}',
    origin_node: nodeId,
    version: 1,
    created_at: now,
    updated_at: now,
  };
}
