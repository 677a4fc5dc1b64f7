/**
 * The merge rule for one appointment changed in two places while they were apart
 * (sync/SPEC.md section 4). Pure: central calls it for every pushed change, and the
 * property tests check that the result does not depend on the order of arrival.
 */
import type { Hlc } from './hlc';
import type { Appointment, AppointmentStatus } from './model';

/** Fields that change together and merge as one value. */
export const REGISTERS = {
  slot: ['patient', 'provider', 'facility', 'start_time', 'end_time'],
  details: ['appointment_type', 'reason'],
  status: ['status'],
  deleted: ['deleted_at'],
} as const satisfies Record<string, readonly (keyof Appointment)[]>;

export type Register = keyof typeof REGISTERS;
export const REGISTER_NAMES = Object.keys(REGISTERS) as Register[];
export type RegisterClocks = Partial<Record<Register, Hlc>>;
export type RegisterValue = Partial<Pick<Appointment, (typeof REGISTERS)[Register][number]>>;

/** What records more of what happened wins a concurrent status change. */
const STATUS_RANK: Record<AppointmentStatus, number> = {
  scheduled: 0,
  cancelled: 1,
  no_show: 2,
  completed: 3,
};

export function parseClocks(text: string | null | undefined): RegisterClocks {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as RegisterClocks) : {};
  } catch {
    return {};
  }
}

/** Serializes with sorted keys, so equal clocks are equal strings. */
export function formatClocks(clocks: Readonly<Record<string, string | undefined>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(clocks).sort()) {
    const value = clocks[key];
    if (value !== undefined) sorted[key] = value;
  }
  return JSON.stringify(sorted);
}

export function registerValue(row: Appointment, register: Register): RegisterValue {
  const value: Record<string, unknown> = {};
  for (const field of REGISTERS[register]) value[field] = row[field];
  return value as RegisterValue;
}

/** The registers whose values differ between two states of one appointment. */
export function changedRegisters(before: Appointment | undefined, after: Appointment): Register[] {
  if (!before) return [...REGISTER_NAMES];
  return REGISTER_NAMES.filter((r) => REGISTERS[r].some((f) => before[f] !== after[f]));
}

/** A value that lost a concurrent edit, kept in a conflict record. */
export interface MergeLoss {
  register: Register;
  losing_value: RegisterValue;
  losing_hlc: Hlc | null;
  winning_value: RegisterValue;
  winning_hlc: Hlc | null;
}

export interface IncomingChange {
  /** The full state the node wrote. */
  row: Appointment;
  /** The registers the node changed. */
  changed: readonly Register[];
  /** Register clocks the node's copy had before its write. */
  base: RegisterClocks;
  /** Register clocks after the node's write (new HLCs for the changed registers). */
  clocks: RegisterClocks;
}

export interface MergeResult {
  /** The merged row (version and provenance left to the caller). */
  row: Appointment;
  clocks: RegisterClocks;
  losses: MergeLoss[];
  /** Registers whose value changed at central because of this change. */
  taken: Register[];
}

/** Which of two concurrent values of a register wins: true when the incoming one does. */
function incomingWins(
  register: Register,
  current: { value: RegisterValue; hlc: Hlc | undefined },
  incoming: { value: RegisterValue; hlc: Hlc | undefined },
): boolean {
  if (register === 'status') {
    const a = STATUS_RANK[current.value.status ?? 'scheduled'];
    const b = STATUS_RANK[incoming.value.status ?? 'scheduled'];
    if (a !== b) return b > a;
  }
  if (register === 'deleted') {
    const a = current.value.deleted_at ?? null;
    const b = incoming.value.deleted_at ?? null;
    if (a === null || b === null) return b !== null;
    if (a !== b) return b < a;
  }
  return (incoming.hlc ?? '') > (current.hlc ?? '');
}

function sameValue(a: RegisterValue, b: RegisterValue): boolean {
  return Object.keys(a).every(
    (k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k],
  );
}

/**
 * Merges a node's change of an existing appointment into central's row. A register
 * nobody else changed since the node's base takes the node's value; a register changed
 * on both sides is decided by `incomingWins`, and the loser (when the values differ) is
 * returned in `losses`.
 */
export function mergeAppointment(
  current: Appointment,
  currentClocks: RegisterClocks,
  incoming: IncomingChange,
): MergeResult {
  let row: Appointment = { ...current };
  const clocks: RegisterClocks = { ...currentClocks };
  const losses: MergeLoss[] = [];
  const taken: Register[] = [];
  for (const register of incoming.changed) {
    const mine = { value: registerValue(current, register), hlc: currentClocks[register] };
    const theirs = { value: registerValue(incoming.row, register), hlc: incoming.clocks[register] };
    const concurrent = currentClocks[register] !== incoming.base[register];
    const take = !concurrent || incomingWins(register, mine, theirs);
    const [winner, loser] = take ? [theirs, mine] : [mine, theirs];
    if (concurrent && !sameValue(mine.value, theirs.value)) {
      losses.push({
        register,
        losing_value: loser.value,
        losing_hlc: loser.hlc ?? null,
        winning_value: winner.value,
        winning_hlc: winner.hlc ?? null,
      });
    }
    if (take) {
      row = { ...row, ...theirs.value };
      if (!sameValue(mine.value, theirs.value)) taken.push(register);
    }
    // Taken without a race: the node's stamp. After a race: the later of the two, so the
    // clocks too are the same whichever change arrived first.
    const later = !concurrent || (theirs.hlc ?? '') > (mine.hlc ?? '') ? theirs.hlc : mine.hlc;
    if (later !== undefined) clocks[register] = later;
  }
  return { row, clocks, losses, taken };
}

/** Field clocks of a patient (JSON text), or {} when missing or malformed. */
export function parseFieldClocks(text: string | null | undefined): Record<string, string> {
  return parseClocks(text) as Record<string, string>;
}
