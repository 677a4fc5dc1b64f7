/**
 * The push mutations of the sync benchmark, built as a clinic node builds them
 * (sync/src/edge/outbox-hooks.ts: `{seq, kind, entity_id, hlc, args: {row, changed, base,
 * clocks, created}}`, the row as `AppointmentWire`), for one enrolled node and the
 * providers and patients of its facilities (`NodeScope`).
 *
 * The mix, by position in each run of 10 sequence numbers: 7 new bookings, 2 changes of
 * an earlier booking of this node, 1 cancellation (a change or a cancellation falls back
 * to a booking while there is nothing to change yet).
 * - Bookings: free evening slots (`EveningSlots`); every 10th one instead lands on a
 *   seeded daytime visit of its provider (a deliberate overlap: central accepts it and
 *   records a provider conflict).
 * - Changes, in turn: a reschedule to a free slot (re-validation of the slot and the
 *   overlap query on the update path), an edit of the details, a reschedule onto a seeded
 *   visit (an overlap opened by an update), and an edit of the details from a stale base
 *   (the node's copy before its previous details edit: a concurrent edit, which central
 *   merges last-writer-wins and keeps the losing value in an `edit` conflict record).
 * - Cancellations alternate between overlapping bookings (central's re-check then
 *   resolves their conflicts) and ordinary ones.
 */
import {
  APPOINTMENT_TYPES,
  formatHlc,
  HOUR_MS,
  MINUTE_MS,
  type AppointmentType,
  type IdGenerator,
  type Patient,
  type User,
} from '@clinic/domain';
import type { AppointmentWire, Mutation } from '@clinic/sync';
import { DAY_MS, facilityIndexOf, seedDays, type Directory, type Shape } from './dataset';

type Register = 'slot' | 'details' | 'status' | 'deleted';
type Clocks = Partial<Record<Register, string>>;
export type AppointmentPut = Extract<Mutation, { kind: 'appointment.put' }>;

const ALL_REGISTERS: Register[] = ['slot', 'details', 'status', 'deleted'];
const EVENING_FIRST_HOUR = 16;
const EVENING_SLOT_MS = 15 * MINUTE_MS;
const EVENING_SLOTS_PER_DAY = 32;
const SEED_FIRST_HOUR = 8;
const SEED_HOURS = 8;

/** The facilities a node is enrolled for, and the providers and patients at them. */
export interface NodeScope {
  facilities: string[];
  providers: User[];
  patients: Patient[];
}

/** The node's scope: the first `count` facilities of the directory (at least one). */
export function nodeScope(dir: Directory, shape: Shape, count: number): NodeScope {
  const n = Math.max(1, Math.min(count, dir.facilities.length));
  const facilities = dir.facilities.slice(0, n).map((f) => f.id);
  const inScope = (i: number) => facilityIndexOf(i, shape) < n;
  return {
    facilities,
    providers: dir.providers.filter((_, j) => inScope(j)),
    patients: dir.patients.filter((_, i) => inScope(i)),
  };
}

export interface Slot {
  patient: string;
  provider: string;
  facility: string;
  start_time: number;
  end_time: number;
}

/**
 * Free 15-minute evening slots (16:00 to 24:00 UTC; the seeded visits are in the daytime)
 * from day `firstDay` after day0 on: slot n is provider n % P at time floor(n / P), with
 * patient n % Q (Q > P, so a patient's next slot is at a later time). No two slots of one
 * stream overlap; two streams must use different days (`lastDay`).
 */
export class EveningSlots {
  #n = 0;
  constructor(
    private readonly scope: Pick<NodeScope, 'providers' | 'patients'>,
    private readonly day0: number,
    readonly firstDay: number,
  ) {
    if (scope.providers.length === 0 || scope.patients.length <= scope.providers.length) {
      throw new Error('a slot stream needs providers and more patients than providers');
    }
  }

  next(): Slot {
    const n = this.#n;
    this.#n += 1;
    const { providers, patients } = this.scope;
    const provider = providers[n % providers.length] as User;
    const time = Math.floor(n / providers.length);
    const start =
      this.day0 +
      (this.firstDay + Math.floor(time / EVENING_SLOTS_PER_DAY)) * DAY_MS +
      EVENING_FIRST_HOUR * HOUR_MS +
      (time % EVENING_SLOTS_PER_DAY) * EVENING_SLOT_MS;
    return {
      patient: (patients[n % patients.length] as Patient).id,
      provider: provider.id,
      facility: provider.facilities[0] as string,
      start_time: start,
      end_time: start + EVENING_SLOT_MS,
    };
  }

  /** The last day (after day0) a slot handed out so far lies on. */
  get lastDay(): number {
    const times = Math.ceil(this.#n / this.scope.providers.length);
    return this.firstDay + Math.floor(Math.max(0, times - 1) / EVENING_SLOTS_PER_DAY);
  }
}

/** A small deterministic PRNG (mulberry32), so two runs send the same mix. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The node's copy of one of its bookings. */
interface Booked {
  row: AppointmentWire;
  clocks: Clocks;
  /** The clocks before the last details edit (for a stale-base edit), if any. */
  beforeDetails?: Clocks;
  overlapping: boolean;
}

export type MutationIntent =
  | 'book'
  | 'book-overlap'
  | 'reschedule'
  | 'reschedule-overlap'
  | 'edit-details'
  | 'edit-details-stale'
  | 'cancel';

export interface MutationPlanOptions {
  nodeId: string;
  scope: NodeScope;
  shape: Shape;
  day0: number;
  /** First day (after day0) of the free evening slots this plan books. */
  firstDay: number;
  ids: IdGenerator;
  seed?: number;
  /** The node's wall clock (default Date.now): HLCs and created_at / updated_at. */
  now?: () => number;
}

export class MutationPlan {
  readonly slots: EveningSlots;
  readonly intents: Record<MutationIntent, number> = {
    book: 0,
    'book-overlap': 0,
    reschedule: 0,
    'reschedule-overlap': 0,
    'edit-details': 0,
    'edit-details-stale': 0,
    cancel: 0,
  };
  #seq = 0;
  #lastMs = 0;
  #bookings = 0;
  #changes = 0;
  #cancels = 0;
  #overlaps = 0;
  readonly #active: Booked[] = [];
  readonly #random: () => number;
  readonly #futureSeedDays: number;

  constructor(private readonly opts: MutationPlanOptions) {
    this.slots = new EveningSlots(opts.scope, opts.day0, opts.firstDay);
    this.#random = prng(opts.seed ?? 42);
    const { days, pastDays } = seedDays(opts.shape);
    this.#futureSeedDays = Math.max(0, days - pastDays);
  }

  /** The next mutation in sequence. */
  next(): AppointmentPut {
    const position = this.#seq % 10;
    if (position === 9 && this.#active.length > 0) return this.#cancel();
    if (position >= 7 && this.#active.length > 0) return this.#change();
    return this.#book();
  }

  /** `count` mutations in sequence. */
  take(count: number): AppointmentPut[] {
    return Array.from({ length: count }, () => this.next());
  }

  #hlc(): { hlc: string; ms: number } {
    const ms = Math.max((this.opts.now ?? Date.now)(), this.#lastMs + 1);
    this.#lastMs = ms;
    return { hlc: formatHlc({ ms, counter: 0, node: this.opts.nodeId }), ms };
  }

  #mutation(
    intent: MutationIntent,
    row: AppointmentWire,
    changed: Register[],
    base: Clocks,
    clocks: Clocks,
    hlc: string,
  ): AppointmentPut {
    this.intents[intent] += 1;
    this.#seq += 1;
    const created = intent === 'book' || intent === 'book-overlap';
    return {
      seq: this.#seq,
      kind: 'appointment.put',
      entity_id: row.id,
      hlc,
      args: { row, changed, base, clocks, created },
    };
  }

  /**
   * The `m`-th daytime slot over a seeded visit (every provider has one on each hour from
   * 08:00 to 16:00 UTC of every seeded day): 10 minutes past the hour, 30 minutes long.
   */
  #seededSlot(m: number): Pick<Slot, 'start_time' | 'end_time'> {
    const hourIndex = Math.floor(m / this.opts.scope.providers.length);
    const days = Math.max(1, this.#futureSeedDays);
    const day = Math.floor(hourIndex / SEED_HOURS) % days;
    const start =
      this.opts.day0 +
      day * DAY_MS +
      (SEED_FIRST_HOUR + (hourIndex % SEED_HOURS)) * HOUR_MS +
      10 * MINUTE_MS;
    return { start_time: start, end_time: start + 30 * MINUTE_MS };
  }

  #book(): AppointmentPut {
    const b = this.#bookings;
    this.#bookings += 1;
    const overlap = b % 10 === 9;
    let slot: Slot;
    if (overlap) {
      const { providers, patients } = this.opts.scope;
      const m = this.#overlaps;
      this.#overlaps += 1;
      const provider = providers[m % providers.length] as User;
      slot = {
        patient: (patients[(m * 7 + 3) % patients.length] as Patient).id,
        provider: provider.id,
        facility: provider.facilities[0] as string,
        ...this.#seededSlot(m),
      };
    } else {
      slot = this.slots.next();
    }
    const { hlc, ms } = this.#hlc();
    const row: AppointmentWire = {
      id: this.opts.ids.next(),
      ...slot,
      appointment_type: APPOINTMENT_TYPES[b % APPOINTMENT_TYPES.length] as AppointmentType,
      reason: b % 3 === 0 ? 'Follow-up visit' : 'Cough and fever for three days',
      status: 'scheduled',
      created_by: slot.provider,
      deleted_at: null,
      created_at: ms,
      updated_at: ms,
    };
    const clocks: Clocks = Object.fromEntries(ALL_REGISTERS.map((r) => [r, hlc]));
    this.#active.push({ row, clocks, overlapping: overlap });
    return this.#mutation(overlap ? 'book-overlap' : 'book', row, ALL_REGISTERS, {}, clocks, hlc);
  }

  /** An active booking, recent ones more likely (a clinic edits today's bookings). */
  #pick(filter: (b: Booked) => boolean): Booked | undefined {
    const candidates = this.#active.filter(filter);
    if (candidates.length === 0) return undefined;
    const skew = this.#random() ** 2;
    return candidates[candidates.length - 1 - Math.floor(skew * candidates.length)];
  }

  #change(): AppointmentPut {
    const kind = this.#changes % 4;
    this.#changes += 1;
    const stale = kind === 3 ? this.#pick((b) => b.beforeDetails !== undefined) : undefined;
    if (stale?.beforeDetails) {
      // The node edits its copy as it was before its last details edit: a concurrent edit.
      const { hlc, ms } = this.#hlc();
      const base = stale.beforeDetails;
      const row = { ...stale.row, reason: 'Details edited from a stale copy', updated_at: ms };
      const clocks: Clocks = { ...base, details: hlc };
      stale.row = row;
      stale.clocks = { ...stale.clocks, details: hlc };
      return this.#mutation('edit-details-stale', row, ['details'], base, clocks, hlc);
    }
    const target = this.#pick((b) => !b.overlapping) ?? this.#pick(() => true);
    if (!target) return this.#book();
    const { hlc, ms } = this.#hlc();
    const base = { ...target.clocks };
    if (kind === 1 || kind === 3) {
      const row = {
        ...target.row,
        reason: `${target.row.reason} (details updated)`.slice(0, 200),
        appointment_type: 'follow_up' as AppointmentType,
        updated_at: ms,
      };
      const clocks: Clocks = { ...base, details: hlc };
      target.beforeDetails = base;
      target.row = row;
      target.clocks = clocks;
      return this.#mutation('edit-details', row, ['details'], base, clocks, hlc);
    }
    let slot: Slot;
    if (kind === 2) {
      // Onto a seeded visit of the booking's own provider (hour slot m of that provider).
      const { providers } = this.opts.scope;
      const index = providers.findIndex((p) => p.id === target.row.provider);
      const m = (this.#overlaps + 1) * providers.length + Math.max(0, index);
      this.#overlaps += 1;
      slot = {
        patient: target.row.patient,
        provider: target.row.provider,
        facility: target.row.facility,
        ...this.#seededSlot(m),
      };
      target.overlapping = true;
    } else {
      const free = this.slots.next();
      // A reschedule keeps the patient; the free slot brings its provider and time.
      slot = { ...free, patient: target.row.patient };
    }
    const row = { ...target.row, ...slot, updated_at: ms };
    const clocks: Clocks = { ...base, slot: hlc };
    target.row = row;
    target.clocks = clocks;
    return this.#mutation(
      kind === 2 ? 'reschedule-overlap' : 'reschedule',
      row,
      ['slot'],
      base,
      clocks,
      hlc,
    );
  }

  #cancel(): AppointmentPut {
    const wantOverlap = this.#cancels % 2 === 0;
    this.#cancels += 1;
    const target =
      this.#pick((b) => b.overlapping === wantOverlap) ?? (this.#pick(() => true) as Booked);
    const { hlc, ms } = this.#hlc();
    const base = { ...target.clocks };
    const row: AppointmentWire = { ...target.row, status: 'cancelled', updated_at: ms };
    const clocks: Clocks = { ...base, status: hlc };
    this.#active.splice(this.#active.indexOf(target), 1);
    return this.#mutation('cancel', row, ['status'], base, clocks, hlc);
  }
}
