/**
 * Names of the advisory locks a booking takes. Two writes that could create the same
 * double booking share at least one key, so the store serializes them.
 */
import type { Slot } from '@clinic/domain';

export function slotLockKeys(slot: Pick<Slot, 'provider' | 'patient' | 'facility'>): string[] {
  return [`provider:${slot.provider}`, `patient:${slot.patient}`, `facility:${slot.facility}`];
}

export function appointmentLockKey(id: string): string {
  return `appointment:${id}`;
}
