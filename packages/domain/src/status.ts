/** The appointment status machine: scheduled -> completed | cancelled | no_show, nothing else. */
import { DomainError, ErrorCode } from './errors';
import type { AppointmentStatus } from './model';

const ALLOWED: Record<AppointmentStatus, readonly AppointmentStatus[]> = {
  scheduled: ['completed', 'cancelled', 'no_show'],
  completed: [],
  cancelled: [],
  no_show: [],
};

export function canTransition(from: AppointmentStatus, to: AppointmentStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Throws `appointment.invalid_transition` unless `from -> to` is allowed. */
export function assertTransition(from: AppointmentStatus, to: AppointmentStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError(
      ErrorCode.InvalidTransition,
      `Cannot change status from ${from} to ${to}.`,
      { details: { status: [`Cannot change status from ${from} to ${to}.`] } },
    );
  }
}
