/**
 * Appointment use cases: book, change, change status, delete, check conflicts, read.
 * Each write is ONE store transaction holding the domain checks, the row write and the
 * queued notifications, with the slot's advisory locks taken first, so two concurrent
 * requests can never double-book.
 */
import {
  DomainError,
  ErrorCode,
  MAX_DURATION_MS,
  CONFLICT_DIMENSIONS,
  CONFLICT_MESSAGES,
  assertTransition,
  changedRegisters,
  findConflicts,
  formatClocks,
  parseClocks,
  hasConflicts,
  hasErrors,
  isActiveStatus,
  notFound,
  validateReferences,
  validateTimes,
  validationError,
  type Appointment,
  type AppointmentStatus,
  type AppointmentType,
  type AppointmentView,
  type ConflictRecord,
  type Conflicts,
  type FieldErrors,
  type Notification,
  type Slot,
} from '@clinic/domain';
import type { Actor, CoreDeps } from './context';
import { appointmentLockKey, slotLockKeys } from './lock-keys';
import { createNotificationEvents } from './notify-events';
import type { AppointmentQuery, EntitySyncState, OverlapRow, Page, WriteTx } from './store';

/** The writable fields of an appointment. */
export interface AppointmentFields {
  patient: string;
  provider: string;
  facility: string;
  appointment_type: AppointmentType;
  reason: string;
  start_time: number;
  end_time: number;
}

export type AppointmentPatch = Partial<AppointmentFields> & { status?: AppointmentStatus };

/** An appointment with the delivered notifications, as `retrieve` shows it. */
export interface AppointmentDetail extends AppointmentView {
  notifications_sent: Notification[];
  /** Open late conflicts of this appointment (sync/SPEC.md section 3). */
  conflicts: ConflictRecord[];
  /** On a clinic node: where its changes stand with central. */
  sync?: EntitySyncState;
}

/** The spec's check-conflicts body. */
export interface ConflictCheck {
  has_conflicts: boolean;
  conflicts: Conflicts<OverlapRow>;
  /** For an existing appointment: its open late conflicts. */
  late_conflicts?: ConflictRecord[];
}

const SLOT_FIELDS = ['patient', 'provider', 'facility', 'start_time', 'end_time'] as const;
const NOT_EDITABLE = 'Only scheduled appointments can be changed.';
const LOCK_RETRIES = 3;

export function createAppointmentService(deps: CoreDeps) {
  const { store, clock, ids, nodeId, hlc, hooks } = deps;
  const notify = createNotificationEvents(deps);

  /**
   * Writes `next` (insert when there is no `before`) with a fresh HLC on every register it
   * changes, then runs the node's write hook in the same transaction.
   */
  async function save(tx: WriteTx, before: Appointment | undefined, next: Appointment) {
    const changed = changedRegisters(before, next);
    const base = parseClocks(before?.clocks);
    const clocks = { ...base };
    const stamp = hlc.now();
    for (const r of changed) clocks[r] = stamp;
    const row: Appointment = { ...next, clocks: formatClocks(clocks) };
    if (before) await tx.updateAppointment(row);
    else await tx.insertAppointment(row);
    await hooks?.appointmentWritten?.(tx, { before, after: row, changed, base, clocks });
    return row;
  }

  async function conflictsFor(
    tx: Pick<WriteTx, 'findActiveOverlapping'>,
    slot: Slot,
    facilityCapacity: number,
  ): Promise<Conflicts<OverlapRow>> {
    const candidates = await tx.findActiveOverlapping({
      start_time: slot.start_time,
      end_time: slot.end_time,
      provider: slot.provider,
      patient: slot.patient,
      facility: slot.facility,
      ...(slot.id === undefined ? {} : { excludeId: slot.id }),
      maxDurationMs: MAX_DURATION_MS,
    });
    return findConflicts(slot, candidates, facilityCapacity);
  }

  function conflictError(conflicts: Conflicts<OverlapRow>): DomainError {
    const details: FieldErrors = {};
    for (const d of CONFLICT_DIMENSIONS) {
      if (conflicts[d]) details[d] = [CONFLICT_MESSAGES[d]];
    }
    return new DomainError(ErrorCode.AppointmentConflict, 'The appointment overlaps others.', {
      details,
    });
  }

  /** Loads and checks the rows a slot references; throws a 400-style error listing all problems. */
  async function validateSlot(
    tx: WriteTx,
    fields: AppointmentFields,
    changed: ReadonlySet<string>,
    requireFuture: boolean,
  ) {
    // The three rows in one read (one round trip on PostgreSQL).
    const { patient, provider, facility } = await tx.getBookingReferences(fields);
    const errors: FieldErrors = {};
    if (changed.has('start_time') || changed.has('end_time')) {
      validateTimes(fields, { now: clock.now(), requireFuture }, errors);
    }
    const refErrors: FieldErrors = {};
    validateReferences({ ...fields, patient, provider, facility }, refErrors);
    // A reference that did not change is not re-judged (a provider who left keeps old bookings).
    for (const [field, messages] of Object.entries(refErrors)) {
      if (changed.has(field)) errors[field] = messages;
    }
    if (hasErrors(errors)) throw validationError(errors);
    // Unchanged references still have to exist to build the notifications.
    if (!patient || !provider || !facility) throw validationError(refErrors);
    return { patient, provider, facility };
  }

  /**
   * Runs `fn` with the appointment's row and the locks of its slot held. The slot's keys
   * depend on the row, so they are read first, locked all at once (sorted: no deadlock),
   * and re-checked; a concurrent change of the slot's resources makes it try again.
   */
  async function withAppointment<T>(
    id: string,
    extraKeys: (current: Appointment) => string[],
    fn: (tx: WriteTx, current: Appointment) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; attempt < LOCK_RETRIES; attempt += 1) {
      const before = await store.getAppointment(id);
      if (!before) throw notFound();
      const keys = [appointmentLockKey(id), ...slotLockKeys(before), ...extraKeys(before)];
      const outcome = await store.write(async (tx) => {
        await tx.lock(keys);
        const current = await tx.getAppointment(id);
        if (!current) throw notFound();
        const needed = [...slotLockKeys(current), ...extraKeys(current)];
        if (needed.some((k) => !keys.includes(k))) return { retry: true as const };
        return { retry: false as const, value: await fn(tx, current) };
      });
      if (!outcome.retry) return outcome.value;
    }
    throw new Error(`appointment ${id} kept changing while it was being locked`);
  }

  /** Conflicts a prospective booking would have (for forms that warn before submitting). */
  async function checkSlot(slot: Slot): Promise<ConflictCheck> {
    const facility = await store.getFacility(slot.facility);
    const conflicts = await conflictsFor(store, slot, facility?.capacity ?? 1);
    return { has_conflicts: hasConflicts(conflicts), conflicts };
  }

  /**
   * The appointment as retrieve shows it, read inside the write's own transaction (no
   * second round trip after commit). A new appointment has delivered nothing yet.
   */
  async function detailInTx(tx: WriteTx, id: string, isNew = false): Promise<AppointmentDetail> {
    const view = await tx.getAppointment(id, { includeDeleted: true });
    if (!view) throw new Error(`appointment ${id} vanished inside its own transaction`);
    const sync = await tx.syncStateOf(id);
    const extra = sync ? { sync } : {};
    if (isNew) return { ...view, notifications_sent: [], conflicts: [], ...extra };
    return {
      ...view,
      notifications_sent: await tx.listSentNotifications(id),
      conflicts: await tx.conflictsOfAppointment(id, 'open'),
      ...extra,
    };
  }

  return {
    async create(fields: AppointmentFields, actor: Actor): Promise<AppointmentDetail> {
      const id = ids.next();
      return store.write(async (tx) => {
        await tx.lock(slotLockKeys(fields));
        const people = await validateSlot(tx, fields, new Set(SLOT_FIELDS), true);
        const conflicts = await conflictsFor(tx, fields, people.facility.capacity);
        if (hasConflicts(conflicts)) throw conflictError(conflicts);
        const now = clock.now();
        const row: Appointment = {
          id,
          ...fields,
          status: 'scheduled',
          created_by: actor.userId,
          deleted_at: null,
          clocks: '{}',
          origin_node: nodeId,
          version: 1,
          created_at: now,
          updated_at: now,
        };
        const saved = await save(tx, undefined, row);
        await notify.appointmentWritten(
          tx,
          saved,
          { event: 'created', reminders: 'replace', isNew: true },
          people,
        );
        return detailInTx(tx, id, true);
      });
    },

    /** PATCH and PUT: changes fields (and optionally status) of a scheduled appointment. */
    async update(id: string, patch: AppointmentPatch): Promise<AppointmentDetail> {
      const patchKeys = (current: Appointment) =>
        slotLockKeys({
          provider: patch.provider ?? current.provider,
          patient: patch.patient ?? current.patient,
          facility: patch.facility ?? current.facility,
        });
      return withAppointment(id, patchKeys, async (tx, current) => {
        const { status, ...fieldPatch } = patch;
        const changed = new Set(
          (Object.keys(fieldPatch) as (keyof AppointmentFields)[]).filter(
            (k) => fieldPatch[k] !== undefined && fieldPatch[k] !== current[k],
          ),
        );
        const statusChanges = status !== undefined && status !== current.status;
        if (changed.size > 0 && current.status !== 'scheduled') {
          throw validationError({ status: [NOT_EDITABLE] });
        }
        if (statusChanges) assertTransition(current.status, status);
        if (changed.size === 0 && !statusChanges) return detailInTx(tx, id);

        const next: Appointment = {
          ...current,
          ...(Object.fromEntries(
            [...changed].map((k) => [k, fieldPatch[k]]),
          ) as Partial<AppointmentFields>),
          status: status ?? current.status,
          origin_node: nodeId,
          version: current.version + 1,
          updated_at: clock.now(),
        };
        let people: Awaited<ReturnType<typeof validateSlot>> | undefined;
        if (changed.size > 0) {
          people = await validateSlot(tx, next, changed, true);
          const slotMoved = SLOT_FIELDS.some((f) => changed.has(f));
          if (slotMoved && isActiveStatus(next.status)) {
            const conflicts = await conflictsFor(tx, next, people.facility.capacity);
            if (hasConflicts(conflicts)) throw conflictError(conflicts);
          }
        }
        const saved = await save(tx, current, next);
        const moved = (['patient', 'provider', 'start_time'] as const).some((f) => changed.has(f));
        await notify.appointmentWritten(
          tx,
          saved,
          {
            event:
              next.status === 'cancelled' ? 'cancelled' : changed.size > 0 ? 'updated' : undefined,
            reminders: moved || statusChanges ? 'replace' : 'keep',
          },
          people,
        );
        return detailInTx(tx, id);
      });
    },

    /** The cancel / complete / mark-no-show actions. */
    async transition(id: string, to: AppointmentStatus): Promise<AppointmentDetail> {
      return withAppointment(
        id,
        () => [],
        async (tx, current) => {
          assertTransition(current.status, to);
          const next: Appointment = {
            ...current,
            status: to,
            origin_node: nodeId,
            version: current.version + 1,
            updated_at: clock.now(),
          };
          const saved = await save(tx, current, next);
          await notify.appointmentWritten(tx, saved, {
            event: to === 'cancelled' ? 'cancelled' : undefined,
            reminders: 'replace',
          });
          return detailInTx(tx, id);
        },
      );
    },

    /**
     * DELETE: cancels (when still scheduled, with cancellation notices) and leaves a
     * tombstone, so the deletion can travel through sync and nothing is lost.
     */
    async remove(id: string): Promise<void> {
      await withAppointment(
        id,
        () => [],
        async (tx, current) => {
          const wasScheduled = current.status === 'scheduled';
          const now = clock.now();
          const next: Appointment = {
            ...current,
            status: wasScheduled ? 'cancelled' : current.status,
            deleted_at: now,
            origin_node: nodeId,
            version: current.version + 1,
            updated_at: now,
          };
          const saved = await save(tx, current, next);
          await notify.appointmentWritten(tx, saved, {
            event: wasScheduled ? 'cancelled' : undefined,
            reminders: 'replace',
          });
        },
      );
    },

    async get(id: string): Promise<AppointmentDetail> {
      const view = await store.getAppointment(id);
      if (!view) throw notFound();
      const sync = await store.syncStateOf(id);
      return {
        ...view,
        notifications_sent: await store.listSentNotifications(id),
        conflicts: await store.conflictsOfAppointment(id, 'open'),
        ...(sync && { sync }),
      };
    },

    list(query: AppointmentQuery): Promise<Page<AppointmentView>> {
      return store.listAppointments(query);
    },

    /** The spec's check-conflicts for an existing appointment. */
    async checkConflicts(id: string): Promise<ConflictCheck> {
      const view = await store.getAppointment(id);
      if (!view) throw notFound();
      const late = await store.conflictsOfAppointment(id, 'open');
      if (!isActiveStatus(view.status)) {
        return { has_conflicts: late.length > 0, conflicts: {}, late_conflicts: late };
      }
      const check = await checkSlot(view);
      return {
        ...check,
        has_conflicts: check.has_conflicts || late.length > 0,
        late_conflicts: late,
      };
    },

    checkSlot,
  };
}

export type AppointmentService = ReturnType<typeof createAppointmentService>;
