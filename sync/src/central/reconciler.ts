/**
 * Central's side of push (sync/SPEC.md sections 2 to 4): applies each mutation of a node
 * in its own transaction, exactly once per (node, seq), re-validating it against
 * everything central knows. Overlaps are accepted and recorded as late conflicts; any
 * other failure is a rejection the node will show; replays get the stored answer.
 */
import { appointmentLockKey, slotLockKeys, type ConflictService, type WriteTx } from '@clinic/core';
import {
  CENTRAL_OWNER,
  DomainError,
  assertTransition,
  formatClocks,
  HOUR_MS,
  hasErrors,
  parseHlc,
  isActiveStatus,
  mergeAppointment,
  parseClocks,
  parseFieldClocks,
  validateReferences,
  validateTimes,
  type Appointment,
  type Clock,
  type FieldErrors,
  type HybridClock,
  type Notification,
  type Patient,
} from '@clinic/domain';
import type { CentralSyncStore, NodeRecord } from './node-ports';
import type {
  AppointmentPutArgs,
  Mutation,
  NotificationsPutArgs,
  PatientPutArgs,
  PushResult,
} from '../protocol';
import type { PushItem } from './push-request';

export interface ReconcilerDeps {
  sync: CentralSyncStore;
  conflicts: ConflictService;
  clock: Clock;
  hlc: HybridClock;
  /** Told after a push applied something: it may have queued notifications central delivers. */
  onNotificationsQueued?: () => void;
}

/** A refusal of one mutation: stored as its answer, shown on the node. */
class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function describe(errors: FieldErrors): string {
  return Object.entries(errors)
    .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
    .join('; ');
}

function rejectionOf(error: unknown): Rejection | undefined {
  if (error instanceof Rejection) return error;
  // A constraint central enforces (SQLSTATE class 23) or data it cannot store (class 22:
  // a NUL in text, a value out of range) refuses this mutation for good: a rejection the
  // node shows, not an error it would retry for ever, blocking every later change of its
  // outbox. Connection and server errors stay errors: the node retries them.
  const sqlState = (error as { code?: unknown } | null)?.code;
  if (typeof sqlState === 'string' && /^2[23][0-9A-Z]{3}$/.test(sqlState)) {
    return sqlState.startsWith('23')
      ? new Rejection('integrity', `Central's database refused the change (${sqlState}).`)
      : new Rejection('invalid', `Central cannot store a value of the change (${sqlState}).`);
  }
  if (error instanceof DomainError) {
    const detail = error.details ? describe(error.details) : '';
    return new Rejection(error.code, detail ? `${error.message} ${detail}` : error.message);
  }
  return undefined;
}

/** How far ahead of central's clock a node's stamps may be. */
export const MAX_CLOCK_AHEAD_MS = 24 * HOUR_MS;

/**
 * Why central will not take a mutation's clocks, or undefined. A stamp far in the future
 * (a node whose clock is wrong, or a hostile one) would win every later merge and drag
 * every clock it reaches with it, and near the end of the 13-digit range it would break
 * their string order; so a mutation stamped more than a day ahead of central is refused,
 * and the node shows why.
 */
function clockProblem(m: Mutation, now: number): string | undefined {
  const stamps = [m.hlc, ...Object.values<string>(('clocks' in m.args && m.args.clocks) || {})];
  for (const stamp of stamps) {
    const parts = parseHlc(stamp);
    if (!parts) return 'The change carries a malformed clock stamp.';
    if (parts.ms > now + MAX_CLOCK_AHEAD_MS) {
      const hours = Math.round((parts.ms - now) / HOUR_MS);
      return `The change is stamped ${hours} h ahead of central's clock: check this computer's date and time.`;
    }
  }
  return undefined;
}

/** The joined names of an AppointmentView: not part of the record that syncs. */
const VIEW_ONLY = new Set([
  'patient_first_name',
  'patient_last_name',
  'patient_mrn',
  'provider_first_name',
  'provider_last_name',
  'provider_user_type',
  'facility_name',
  'facility_timezone',
]);

/**
 * Whether the node may read central's row: the same test as the push scope check. A
 * rejection of a foreign id carries no row, so pushing ids never reveals another
 * facility's appointments or patients.
 */
function entitled(node: NodeRecord, row: Appointment | Patient): boolean {
  const facility = 'patient_id' in row ? row.registered_facility : row.facility;
  return facility !== null && node.facilities.includes(facility);
}

/** Central's record as sent back to the node (the full row, with clocks and version). */
function strip<T extends object>(row: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !VIEW_ONLY.has(k)));
}

export function createReconciler(deps: ReconcilerDeps) {
  const { sync, conflicts, clock, hlc } = deps;

  /** Validates a slot; returns the facility's capacity for the overlap check. */
  async function checkSlot(
    tx: WriteTx,
    row: Appointment,
    changedRefs: ReadonlySet<string>,
  ): Promise<number> {
    const errors: FieldErrors = {};
    // "start_time must be in the future" was checked where the booking was made.
    validateTimes(row, { now: clock.now(), requireFuture: false }, errors);
    const refs = await tx.getBookingReferences(row);
    const { facility } = refs;
    const refErrors: FieldErrors = {};
    validateReferences(
      { ...row, patient: refs.patient, provider: refs.provider, facility: refs.facility },
      refErrors,
    );
    for (const [field, messages] of Object.entries(refErrors)) {
      if (changedRefs.has(field)) errors[field] = messages;
    }
    if (hasErrors(errors)) throw new Rejection('validation', describe(errors));
    // An account only the node knows (a node-local admin) cannot be referenced on central;
    // the booking keeps its origin node instead of failing for ever.
    if (
      row.created_by !== null &&
      row.created_by !== row.provider &&
      changedRefs.has('created_by')
    ) {
      if (!(await tx.getUser(row.created_by))) row.created_by = null;
    }
    return facility?.capacity ?? 1;
  }

  async function putAppointment(
    tx: WriteTx,
    node: NodeRecord,
    seq: number,
    args: AppointmentPutArgs,
  ): Promise<Omit<PushResult, 'seq'>> {
    const incoming: Appointment = {
      ...args.row,
      appointment_type: args.row.appointment_type as Appointment['appointment_type'],
      clocks: formatClocks(args.clocks),
      origin_node: node.id,
      version: 1,
    };
    // The same locks as a booking made on central, so that two pushes (or a push and a
    // booking) that could overlap take turns and neither misses the other's row (on a
    // PostgreSQL server; PGlite is serial). Every key is taken in the global sorted order
    // ("appointment:..." sorts before every slot key), so nothing can deadlock: a create
    // takes all at once; a change takes the appointment's key, reads the current row, then
    // the keys of both its current and its new slot.
    let current: Awaited<ReturnType<WriteTx['getAppointment']>>;
    if (args.created) {
      // A create needs no read: a second create of one id fails on the primary key and is
      // rejected (a replay never gets here: receipts answer it).
      await tx.lock([appointmentLockKey(incoming.id), ...slotLockKeys(incoming)]);
    } else {
      await tx.lock([appointmentLockKey(incoming.id)]);
      current = await tx.getAppointment(args.row.id, { includeDeleted: true });
      await tx.lock([...slotLockKeys(incoming), ...(current ? slotLockKeys(current) : [])]);
    }
    const inScope = (facility: string) => node.facilities.includes(facility);
    if (!inScope(incoming.facility) || (current && !inScope(current.facility))) {
      throw new Rejection(
        'out_of_scope',
        "The appointment is not at one of this node's facilities.",
      );
    }
    let next: Appointment;
    const opened: string[] = [];
    if (!current) {
      if (!args.created) {
        throw new Rejection('not_found', 'The appointment does not exist on central.');
      }
      const capacity = await checkSlot(
        tx,
        incoming,
        new Set(['patient', 'provider', 'facility', 'created_by']),
      );
      next = incoming;
      await tx.insertAppointment(next);
      opened.push(...(await conflicts.recordOverlaps(tx, next, capacity)));
    } else {
      const merged = mergeAppointment(
        strip(current) as unknown as Appointment,
        parseClocks(current.clocks),
        {
          row: incoming,
          changed: args.changed,
          base: args.base,
          clocks: args.clocks,
        },
      );
      let capacity: number | undefined;
      if (merged.taken.includes('slot')) {
        const refs = new Set(
          (['patient', 'provider', 'facility'] as const).filter(
            (f) => current[f] !== merged.row[f],
          ),
        );
        capacity = await checkSlot(tx, merged.row, refs);
      }
      const statusRaced = merged.losses.some((l) => l.register === 'status');
      if (merged.taken.includes('status') && !statusRaced) {
        assertTransition(current.status, merged.row.status);
      }
      next = {
        ...strip(merged.row),
        clocks: formatClocks(merged.clocks),
        origin_node: node.id,
        version: current.version + 1,
        updated_at: Math.max(current.updated_at, incoming.updated_at),
      } as Appointment;
      await tx.updateAppointment(next);
      for (const loss of merged.losses) {
        opened.push(await conflicts.recordLoss(tx, next.id, loss, { node: node.id, seq }));
      }
      const reactivated = isActiveStatus(next.status) && !isActiveStatus(current.status);
      if (merged.taken.includes('slot') || reactivated) {
        opened.push(...(await conflicts.recordOverlaps(tx, next, capacity)));
      }
      // A new appointment has no conflicts to re-check yet.
      await conflicts.recheck(tx, next);
    }
    return {
      outcome: opened.length > 0 ? 'applied_with_conflict' : 'applied',
      ...(opened.length > 0 ? { conflicts: opened } : {}),
      row: strip(next) as PushResult['row'],
    };
  }

  async function putPatient(
    tx: WriteTx,
    node: NodeRecord,
    args: PatientPutArgs,
  ): Promise<Omit<PushResult, 'seq'>> {
    const current = await tx.getPatient(args.row.id);
    const inScope = (f: string | null) => f !== null && node.facilities.includes(f);
    if (
      !inScope(args.row.registered_facility) ||
      (current && !inScope(current.registered_facility))
    ) {
      throw new Rejection(
        'out_of_scope',
        "The patient is not registered at one of this node's facilities.",
      );
    }
    let next: Patient;
    if (!current) {
      if (!args.created) throw new Rejection('not_found', 'The patient does not exist on central.');
      next = { ...args.row, clocks: JSON.stringify(args.clocks), origin_node: node.id, version: 1 };
      await tx.insertPatient(next);
    } else {
      // Field by field, the later HLC wins (sync/SPEC.md section 4).
      const clocks = parseFieldClocks(current.clocks);
      const merged: Record<string, unknown> = { ...current };
      for (const field of args.changed) {
        if (!(field in args.row) || field === 'id') continue;
        const theirs = args.clocks[field] ?? '';
        if (theirs > (clocks[field] ?? '')) {
          merged[field] = (args.row as Record<string, unknown>)[field];
          clocks[field] = theirs;
        }
      }
      next = {
        ...(merged as unknown as Patient),
        clocks: formatClocks(clocks),
        origin_node: node.id,
        version: current.version + 1,
        updated_at: Math.max(current.updated_at, args.row.updated_at),
      };
      await tx.updatePatient(next);
    }
    return { outcome: 'applied', row: next as unknown as PushResult['row'] };
  }

  /**
   * The address central itself would write to for a row it delivers: the contact it
   * knows of the appointment's patient or provider on that channel, or undefined (no
   * such contact; an admin, whom only central's own conflict notices address).
   */
  async function centralAddress(
    tx: WriteTx,
    appointment: Appointment,
    wire: NotificationsPutArgs['rows'][number],
  ): Promise<string | undefined> {
    const person =
      wire.recipient === 'patient'
        ? await tx.getPatient(appointment.patient)
        : wire.recipient === 'provider'
          ? await tx.getUser(appointment.provider)
          : undefined;
    const address = wire.channel === 'email' ? person?.email : person?.phone_number;
    return address ? address : undefined;
  }

  /**
   * A node's notifications: rows it queued (central delivers those owned by `central`)
   * and later states of the rows the node delivers itself. Central's own state of a row
   * it delivers is never overwritten by a node; a node's row is updated only by that
   * node, and only forward in time. Rows of an appointment central does not have (its
   * booking was rejected) are not kept: there is nothing to tell anyone about. A row
   * central delivers goes to the contact central knows for that recipient, whatever
   * address the node wrote: a node (stolen, or tampered with) cannot make central send
   * messages to anyone else.
   */
  async function putNotifications(
    tx: WriteTx,
    node: NodeRecord,
    args: NotificationsPutArgs,
  ): Promise<Omit<PushResult, 'seq'>> {
    let skipped = 0;
    const appointments = new Map<string, Appointment | null>();
    const candidates: Notification[] = [];
    for (const wire of args.rows) {
      if (wire.owner !== node.id && wire.owner !== CENTRAL_OWNER) {
        throw new Rejection('validation', 'owner: a node queues for itself or for central.');
      }
      let appointment = appointments.get(wire.appointment_id);
      if (appointment === undefined) {
        const found = await tx.getAppointment(wire.appointment_id, { includeDeleted: true });
        appointment = found && node.facilities.includes(found.facility) ? found : null;
        appointments.set(wire.appointment_id, appointment);
      }
      const address =
        appointment && wire.owner === CENTRAL_OWNER
          ? await centralAddress(tx, appointment, wire)
          : wire.address;
      if (appointment && address !== undefined) candidates.push({ ...wire, address });
      else skipped += 1;
    }
    // New rows in one statement (the usual case: a booking's rows, pushed once).
    const inserted = new Set(
      candidates.length > 0 ? (await tx.enqueueNotifications(candidates)).map((n) => n.id) : [],
    );
    for (const row of candidates) {
      if (inserted.has(row.id)) continue;
      const current = await tx.getNotification(row.id);
      if (!current)
        skipped += 1; // its dedupe_key is another row's
      else if (current.owner === node.id && row.updated_at >= current.updated_at) {
        await tx.updateNotification(row);
      }
    }
    return {
      outcome: 'applied',
      ...(skipped > 0 && {
        message: `${skipped} notification(s) not kept (appointment unknown, no known contact, or duplicate).`,
      }),
      row: null,
    };
  }

  /** The answer to a mutation central has answered before (a replay). */
  async function storedAnswer(node: NodeRecord, seq: number): Promise<PushResult> {
    const stored = await sync.receipt(node.id, seq);
    return stored ? (JSON.parse(stored) as PushResult) : { seq, outcome: 'applied' };
  }

  /** After `applyAt` found `seq` not next: a replay that raced (answered), or a gap. */
  async function notNext(node: NodeRecord, seq: number): Promise<PushResult | 'gap'> {
    const fresh = await sync.getNode(node.id);
    return fresh && seq <= fresh.last_seq ? storedAnswer(node, seq) : 'gap';
  }

  /**
   * Applies one mutation in its own transaction and returns its answer. `expected` is the
   * seq central expects next as far as this batch knows; the store's conditional update of
   * the node's position is what guarantees each seq applies once, even between racing
   * requests.
   */
  async function applyOne(
    node: NodeRecord,
    m: PushItem,
    expected: number,
  ): Promise<PushResult | 'gap'> {
    if (m.seq < expected) return storedAnswer(node, m.seq);
    if (m.seq > expected) return 'gap';
    if (m.kind === 'invalid') return reject(node, m, new Rejection('invalid', m.problem));
    const skew = clockProblem(m, clock.now());
    if (skew) return reject(node, m, new Rejection('clock', skew));
    hlc.observe(m.hlc);
    const attempt = await sync
      .applyAt(
        node.id,
        m.seq,
        async (tx) => {
          const body =
            m.kind === 'appointment.put'
              ? await putAppointment(tx, node, m.seq, m.args)
              : m.kind === 'patient.put'
                ? await putPatient(tx, node, m.args)
                : await putNotifications(tx, node, m.args);
          const result: PushResult = { seq: m.seq, ...body };
          return { answer: JSON.stringify(result), value: result };
        },
        clock.now(),
      )
      .catch((error: unknown) => {
        const rejection = rejectionOf(error);
        if (!rejection) throw error;
        return rejection;
      });
    if (!(attempt instanceof Rejection)) {
      return attempt.applied ? attempt.value : notNext(node, m.seq);
    }
    return reject(node, m, attempt);
  }

  /**
   * Answers `m` rejected, in a transaction of its own (the failed one rolled back, so
   * nothing of the mutation is half-written), and stores the answer so a replay gets the
   * same. The answer carries central's row only when the node may read it.
   */
  async function reject(
    node: NodeRecord,
    m: PushItem,
    rejection: Rejection,
  ): Promise<PushResult | 'gap'> {
    const rejected = await sync.applyAt(
      node.id,
      m.seq,
      async (tx) => {
        const current =
          m.kind === 'appointment.put'
            ? await tx.getAppointment(m.entity_id, { includeDeleted: true })
            : m.kind === 'patient.put'
              ? await tx.getPatient(m.entity_id)
              : undefined;
        const result: PushResult = {
          seq: m.seq,
          outcome: 'rejected',
          code: rejection.code,
          message: rejection.message,
          row: current && entitled(node, current) ? (strip(current) as PushResult['row']) : null,
        };
        return { answer: JSON.stringify(result), value: result };
      },
      clock.now(),
    );
    return rejected.applied ? rejected.value : notNext(node, m.seq);
  }

  return {
    /**
     * Applies a batch in sequence order. A gap (a mutation missing before the next one)
     * stops the batch: the rest are answered `deferred`, and the node resends from there.
     */
    async push(node: NodeRecord, mutations: readonly PushItem[]): Promise<PushResult[]> {
      const sorted = [...mutations].sort((a, b) => a.seq - b.seq);
      const results: PushResult[] = [];
      let stopped = false;
      let expected = node.last_seq + 1;
      for (const m of sorted) {
        if (stopped) {
          results.push({ seq: m.seq, outcome: 'deferred' });
          continue;
        }
        const result = await applyOne(node, m, expected);
        if (result === 'gap') {
          stopped = true;
          results.push({ seq: m.seq, outcome: 'deferred' });
        } else {
          results.push(result);
          expected = Math.max(expected, m.seq + 1);
        }
      }
      // Relayed notifications and conflict notices may be waiting for central's dispatcher.
      if (results.some((r) => r.outcome === 'applied' || r.outcome === 'applied_with_conflict')) {
        deps.onNotificationsQueued?.();
      }
      return results;
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
