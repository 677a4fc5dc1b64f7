/**
 * Late conflicts (sync/SPEC.md section 3): the records central keeps when two bookings
 * that no node could see together overlap, or when a concurrent edit lost a value. Central
 * opens them (from the push reconciler), re-checks them after every write of one of their
 * appointments (an overlap that went away resolves itself), and lets an admin resolve one
 * with a note. Nodes read their copy, pulled through sync.
 */
import {
  DomainError,
  ErrorCode,
  MAX_DURATION_MS,
  findConflicts,
  intervalsOverlap,
  isActiveStatus,
  notFound,
  type Appointment,
  type ConflictDimension,
  type ConflictRecord,
  type ConflictStatus,
  type MergeLoss,
} from '@clinic/domain';
import type { CoreDeps } from './context';
import { createNotificationEvents } from './notify-events';
import type { ConflictQuery, Page, StoreReads, WriteTx } from './store';

export const AUTO_RESOLUTION_PREFIX = 'auto: ';

type Reads = Pick<StoreReads, 'getAppointment' | 'findActiveOverlapping' | 'getFacility'>;

/** Why a pair no longer conflicts on `kind`, or undefined when it still does. */
async function goneReason(
  tx: Reads,
  kind: ConflictDimension,
  a: Appointment | undefined,
  b: Appointment | undefined,
): Promise<string | undefined> {
  for (const row of [a, b]) {
    if (!row) return 'an appointment no longer exists';
    if (row.deleted_at !== null) return 'an appointment was deleted';
    if (!isActiveStatus(row.status)) return `an appointment is ${row.status}`;
  }
  if (!a || !b) return 'an appointment no longer exists';
  if (!intervalsOverlap(a, b)) return 'the appointments no longer overlap';
  if (a[kind] !== b[kind]) return `the appointments no longer share the ${kind}`;
  if (kind === 'facility') {
    const facility = await tx.getFacility(a.facility);
    const others = await tx.findActiveOverlapping({
      ...a,
      excludeId: a.id,
      maxDurationMs: MAX_DURATION_MS,
    });
    const still = findConflicts({ ...a }, others, facility?.capacity ?? 1).facility ?? [];
    if (!still.some((o) => o.id === b.id)) return 'the facility is within its capacity';
  }
  return undefined;
}

export function overlapDedupeKey(kind: ConflictDimension, x: string, y: string): string {
  const [a, b] = [x, y].sort();
  return `${kind}:${a}:${b}`;
}

export function createConflictService(deps: CoreDeps) {
  const { store, clock, ids } = deps;
  const notify = createNotificationEvents(deps);

  return {
    list(query: ConflictQuery): Promise<Page<ConflictRecord>> {
      return store.listConflicts(query);
    },

    async get(id: string): Promise<ConflictRecord> {
      return (await store.getConflict(id)) ?? Promise.reject(notFound());
    },

    ofAppointment(id: string, status?: ConflictStatus): Promise<ConflictRecord[]> {
      return store.conflictsOfAppointment(id, status);
    },

    /**
     * Opens (or re-opens) one record per overlapping appointment and dimension for an
     * active appointment that central accepted despite the overlap. Returns their ids.
     * `capacity`: the facility's, when the caller has read it already.
     */
    async recordOverlaps(tx: WriteTx, row: Appointment, capacity?: number): Promise<string[]> {
      if (row.deleted_at !== null || !isActiveStatus(row.status)) return [];
      const facilityCapacity = capacity ?? (await tx.getFacility(row.facility))?.capacity ?? 1;
      const candidates = await tx.findActiveOverlapping({
        ...row,
        excludeId: row.id,
        maxDurationMs: MAX_DURATION_MS,
      });
      const found = findConflicts({ ...row }, candidates, facilityCapacity);
      const opened: string[] = [];
      const now = clock.now();
      for (const kind of ['provider', 'patient', 'facility'] as const) {
        for (const other of found[kind] ?? []) {
          const [a, b] = [row.id, other.id].sort() as [string, string];
          const fresh: ConflictRecord = {
            id: ids.next(),
            kind,
            appointment_a: a,
            appointment_b: b,
            status: 'open',
            detected_at: now,
            resolved_at: null,
            resolution: null,
            details: '{}',
            version: 1,
            updated_at: now,
          };
          let record = await tx.upsertConflict(fresh, overlapDedupeKey(kind, a, b));
          const isNew = record.id === fresh.id;
          const reopened = record.status === 'resolved';
          if (reopened) {
            record = {
              ...record,
              status: 'open',
              resolved_at: null,
              resolution: null,
              version: record.version + 1,
              updated_at: now,
            };
            await tx.updateConflict(record);
          }
          // Admins and both providers hear of each opening once (not of every re-detection).
          if (isNew || reopened) {
            const peer = await tx.getAppointment(other.id, { includeDeleted: true });
            await notify.conflictOpened(tx, record, row, peer);
          }
          opened.push(record.id);
        }
      }
      return opened;
    },

    /** Keeps a value that lost a concurrent edit (kind `edit`); returns the record's id. */
    async recordLoss(
      tx: WriteTx,
      appointmentId: string,
      loss: MergeLoss,
      origin: { node: string; seq: number },
    ): Promise<string> {
      const now = clock.now();
      const record = await tx.upsertConflict(
        {
          id: ids.next(),
          kind: 'edit',
          appointment_a: appointmentId,
          appointment_b: null,
          status: 'open',
          detected_at: now,
          resolved_at: null,
          resolution: null,
          details: JSON.stringify({ ...loss, node: origin.node, seq: origin.seq }),
          version: 1,
          updated_at: now,
        },
        `edit:${appointmentId}:${origin.node}:${origin.seq}:${loss.register}`,
      );
      return record.id;
    },

    /** Resolves the open overlap conflicts of `row` whose overlap went away. */
    async recheck(tx: WriteTx, row: Appointment): Promise<void> {
      const open = await tx.conflictsOfAppointment(row.id, 'open');
      for (const record of open) {
        if (record.kind === 'edit' || record.appointment_b === null) continue;
        const otherId =
          record.appointment_a === row.id ? record.appointment_b : record.appointment_a;
        const other = await tx.getAppointment(otherId, { includeDeleted: true });
        const why = await goneReason(tx, record.kind, row, other);
        if (why === undefined) continue;
        const now = clock.now();
        await tx.updateConflict({
          ...record,
          status: 'resolved',
          resolved_at: now,
          resolution: `${AUTO_RESOLUTION_PREFIX}the overlap went away (${why})`,
          version: record.version + 1,
          updated_at: now,
        });
      }
    },

    /** An admin's resolution with a note. Resolving a resolved conflict is a 400. */
    async resolve(id: string, resolution: string): Promise<ConflictRecord> {
      return store.write(async (tx) => {
        await tx.lock([`conflict:${id}`]);
        const record = await tx.getConflict(id);
        if (!record) throw notFound();
        if (record.status === 'resolved') {
          throw new DomainError(ErrorCode.ValidationFailed, 'This conflict is already resolved.', {
            details: { status: ['This conflict is already resolved.'] },
          });
        }
        const now = clock.now();
        const next: ConflictRecord = {
          ...record,
          status: 'resolved',
          resolved_at: now,
          resolution,
          version: record.version + 1,
          updated_at: now,
        };
        await tx.updateConflict(next);
        return next;
      });
    },
  };
}

export type ConflictService = ReturnType<typeof createConflictService>;
