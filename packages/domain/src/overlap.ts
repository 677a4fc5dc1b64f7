/**
 * Double-booking rules: when two appointments overlap, and when a facility is
 * over its capacity. Pure functions over plain data.
 */
import type { AppointmentStatus } from './model';

/** Statuses that hold a slot. Cancelled and completed appointments free it. */
export const ACTIVE_STATUSES: readonly AppointmentStatus[] = ['scheduled', 'no_show'];

export function isActiveStatus(status: AppointmentStatus): boolean {
  return status === 'scheduled' || status === 'no_show';
}

export interface Interval {
  start_time: number;
  end_time: number;
}

/** Half-open overlap: back-to-back appointments (a.end == b.start) do not overlap. */
export function intervalsOverlap(a: Interval, b: Interval): boolean {
  return a.start_time < b.end_time && a.end_time > b.start_time;
}

/** The slot a candidate booking wants, with the three dimensions it occupies. */
export interface Slot extends Interval {
  /** The appointment being changed (excluded from its own conflicts), if any. */
  id?: string;
  provider: string;
  patient: string;
  facility: string;
}

export interface BookedSlot extends Slot {
  id: string;
  status: AppointmentStatus;
}

export type ConflictDimension = 'provider' | 'patient' | 'facility';
export const CONFLICT_DIMENSIONS: readonly ConflictDimension[] = [
  'provider',
  'patient',
  'facility',
];

/** Per dimension, the existing appointments that make the candidate a double booking. */
export type Conflicts<T> = Partial<Record<ConflictDimension, T[]>>;

/**
 * The largest number of intervals that overlap at any one instant inside
 * `window` (half-open). A sweep over start/end events; ends sort before starts
 * at the same instant, so back-to-back intervals never stack.
 */
export function maxConcurrency(window: Interval, intervals: readonly Interval[]): number {
  const events: [number, number][] = [];
  for (const iv of intervals) {
    const s = Math.max(iv.start_time, window.start_time);
    const e = Math.min(iv.end_time, window.end_time);
    if (s < e) {
      events.push([s, 1], [e, -1]);
    }
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let depth = 0;
  let best = 0;
  for (const [, delta] of events) {
    depth += delta;
    if (depth > best) best = depth;
  }
  return best;
}

/**
 * Which existing appointments conflict with `candidate`, per dimension.
 *
 * - provider / patient: any active appointment of the same provider / patient that overlaps.
 * - facility: the overlapping active appointments at the same facility, reported only when
 *   adding the candidate would make more than `facilityCapacity` of them run at one instant.
 *
 * `existing` may hold anything (other facilities, inactive, the candidate itself):
 * it is filtered here, so adapters may over-fetch but never under-fetch.
 */
export function findConflicts<T extends BookedSlot>(
  candidate: Slot,
  existing: readonly T[],
  facilityCapacity: number,
): Conflicts<T> {
  const result: Conflicts<T> = {};
  const provider: T[] = [];
  const patient: T[] = [];
  const facility: T[] = [];
  for (const other of existing) {
    if (candidate.id !== undefined && other.id === candidate.id) continue;
    if (!isActiveStatus(other.status) || !intervalsOverlap(candidate, other)) continue;
    if (other.provider === candidate.provider) provider.push(other);
    if (other.patient === candidate.patient) patient.push(other);
    if (other.facility === candidate.facility) facility.push(other);
  }
  if (provider.length > 0) result.provider = provider;
  if (patient.length > 0) result.patient = patient;
  if (facility.length > 0 && maxConcurrency(candidate, facility) + 1 > facilityCapacity) {
    result.facility = facility;
  }
  return result;
}

export function hasConflicts(conflicts: Conflicts<unknown>): boolean {
  return CONFLICT_DIMENSIONS.some((d) => (conflicts[d]?.length ?? 0) > 0);
}

/** The spec's message for each conflicting dimension. */
export const CONFLICT_MESSAGES: Record<ConflictDimension, string> = {
  provider: 'Provider already has an appointment in this window.',
  patient: 'Patient already has an appointment in this window.',
  facility: 'Facility already has an appointment in this window.',
};
