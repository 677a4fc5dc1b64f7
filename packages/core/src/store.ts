/**
 * The storage port: what the application layer needs from a database. The
 * SQLite adapter (edge) and the PostgreSQL adapter (central: PGlite or a server)
 * implement it, and one conformance suite (tests/conformance) runs against both.
 *
 * Conventions every adapter keeps:
 * - Times are UTC epoch milliseconds (numbers) on this interface; booleans are booleans.
 * - Reads outside `write()` see only committed data.
 * - `write(fn)` runs `fn` in ONE transaction: all its writes commit together or none do.
 *   Concurrent `write()` calls that touch the same lock keys are serialized (SQLite: one
 *   writer at a time with BEGIN IMMEDIATE; PostgreSQL: `lock()` takes transaction-scoped
 *   advisory locks). If `fn` throws, everything is rolled back and the error is rethrown
 *   unchanged.
 * - Unique violations on `users.username` and `patients.patient_id` are thrown as a
 *   DomainError with code `resource.duplicate` and details `{field: [message]}`.
 * - Deleted appointments (`deleted_at` set) are invisible to every read except
 *   `getAppointment(id, {includeDeleted: true})`.
 * - listFacilities / listUsers / listPatients order by (created_at, id): the same in
 *   SQLite and PostgreSQL whatever the collation. `User.facilities` is sorted by id.
 * - `update*` of a row that does not exist throws (a plain Error: it is a bug, not input).
 * - An error thrown by a transaction method ends the transaction: do not catch it inside
 *   `fn` and carry on (PostgreSQL aborts the transaction; SQLite would not, so the port
 *   forbids it for both).
 * - Inside `fn`, await each `tx` call before the next: a transaction is one connection,
 *   which runs one statement at a time (node-postgres deprecates overlapping queries).
 * - `write()` and `setMeta()` must not be called from inside a `write()` callback
 *   (SQLite serializes writers: a nested call waits for itself forever).
 */
import type {
  Appointment,
  AppointmentStatus,
  AppointmentView,
  ConflictRecord,
  ConflictStatus,
  Facility,
  Notification,
  NotificationChannel,
  NotificationStatus,
  Patient,
  Role,
  User,
} from '@clinic/domain';

export type AppointmentOrdering = 'start_time' | '-start_time' | 'created_at' | '-created_at';

/** A page request: rows `offset .. offset+limit-1` plus the total count. */
export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<T> {
  count: number;
  rows: T[];
}

export interface AppointmentQuery extends PageRequest {
  provider?: string;
  patient?: string;
  facility?: string;
  status?: AppointmentStatus;
  appointment_type?: string;
  /**
   * Case-insensitive substring match against the patient's MRN (`patient_id`), first
   * name, last name, "first last"; and the provider's first name, last name, "first last".
   * `%` and `_` in the text are matched literally.
   */
  search?: string;
  /** Only appointments with start_time strictly greater than this (for `upcoming`). */
  startsAfter?: number;
  /** Only appointments with start_time >= this (`?start_time__gte=`, schedules). */
  startsFrom?: number;
  /** Only appointments with start_time < this (`?start_time__lt=`, schedules). */
  startsBefore?: number;
  /** Default `start_time`. Ties are broken by id ascending, so pages are stable. */
  ordering: AppointmentOrdering;
}

export interface PatientQuery extends PageRequest {
  /** Case-insensitive substring of patient_id, first_name, last_name or "first last". */
  search?: string;
  registered_facility?: string;
}

export interface UserQuery extends PageRequest {
  role?: Role;
  /** Users linked to this facility. */
  facility?: string;
  /** Case-insensitive substring of username, first_name, last_name or "first last". */
  search?: string;
}

/** The window and resources of a candidate booking, for the overlap query. */
export interface OverlapQuery {
  start_time: number;
  end_time: number;
  provider: string;
  patient: string;
  facility: string;
  /** Exclude this appointment (the one being changed). */
  excludeId?: string;
  /**
   * The longest appointment that can exist. Adapters MUST bound the scan with
   * `start_time >= query.start_time - maxDurationMs` (and `start_time < query.end_time`)
   * so it is an index range scan, never a table scan.
   */
  maxDurationMs: number;
}

/**
 * An active appointment returned by the overlap query: enough to decide and to report
 * (check-conflicts shows the patient's names).
 */
export interface OverlapRow {
  id: string;
  provider: string;
  patient: string;
  facility: string;
  status: AppointmentStatus;
  start_time: number;
  end_time: number;
  patient_first_name: string;
  patient_last_name: string;
}

/** Reads that both the transaction and the store offer. */
export interface StoreReads {
  getFacility(id: string): Promise<Facility | undefined>;
  listFacilities(page: PageRequest): Promise<Page<Facility>>;

  getUser(id: string): Promise<User | undefined>;
  getUserByUsername(username: string): Promise<User | undefined>;
  listUsers(query: UserQuery): Promise<Page<User>>;

  getPatient(id: string): Promise<Patient | undefined>;

  /**
   * The three rows a booking references, read together (one round trip where the engine
   * allows): the booking and the sync reconciler validate them on every write.
   */
  getBookingReferences(refs: {
    patient: string;
    provider: string;
    facility: string;
  }): Promise<{ patient?: Patient; provider?: User; facility?: Facility }>;
  listPatients(query: PatientQuery): Promise<Page<Patient>>;

  getAppointment(
    id: string,
    options?: { includeDeleted?: boolean },
  ): Promise<AppointmentView | undefined>;
  listAppointments(query: AppointmentQuery): Promise<Page<AppointmentView>>;

  /**
   * Active (scheduled or no_show), not deleted appointments that share the provider, the
   * patient OR the facility of the query and overlap [start_time, end_time) (half-open;
   * back-to-back is not an overlap). May over-fetch; must never miss one. Order: start_time.
   */
  findActiveOverlapping(query: OverlapQuery): Promise<OverlapRow[]>;

  /** Delivered notifications (status `sent`) of one appointment, by (created_at, id). */
  listSentNotifications(appointmentId: string): Promise<Notification[]>;
  getNotification(id: string): Promise<Notification | undefined>;
  /** Ordered by (created_at, id): the oldest first. */
  listNotifications(query: NotificationQuery): Promise<Page<Notification>>;
  /**
   * The earliest `next_attempt_at` of the pending notifications `owner` delivers on these
   * channels, or undefined when there are none (the dispatcher sleeps until then).
   */
  nextNotificationDue(
    owner: string,
    channels: readonly NotificationChannel[],
  ): Promise<number | undefined>;

  /**
   * Where a row's local changes stand with central (edge: from its outbox). Central is
   * the source of truth and answers undefined.
   */
  syncStateOf(entityId: string): Promise<EntitySyncState | undefined>;

  getConflict(id: string): Promise<ConflictRecord | undefined>;
  /** Ordered by (detected_at, id): the oldest first. */
  listConflicts(query: ConflictQuery): Promise<Page<ConflictRecord>>;
  /** The conflicts naming this appointment (as a or b), by (detected_at, id). */
  conflictsOfAppointment(appointmentId: string, status?: ConflictStatus): Promise<ConflictRecord[]>;
}

/** `pending`: changes not yet answered by central; `rejected`: its last change was refused. */
export interface EntitySyncState {
  state: 'synced' | 'pending' | 'rejected';
  code: string | null;
  message: string | null;
}

export interface NotificationQuery extends PageRequest {
  status?: NotificationStatus;
  appointment?: string;
}

/** What a dispatcher claims: due rows it owns, on the channels it has a transport for. */
export interface NotificationClaim {
  owner: string;
  channels: readonly NotificationChannel[];
  now: number;
  limit: number;
}

export interface ConflictQuery extends PageRequest {
  status?: ConflictStatus;
}

/** A mutation for the edge's outbox (sync/SPEC.md section 2). */
export interface OutboxEntry {
  kind: 'appointment.put' | 'patient.put' | 'notifications.put';
  entity_id: string;
  hlc: string;
  /** JSON text of the mutation's args. */
  args: string;
  created_at: number;
}

/** Everything a write transaction may do. */
export interface WriteTx extends StoreReads {
  /**
   * Serialize with every other transaction that locks any of the same keys, until this
   * transaction ends. Keys are opaque strings (e.g. "provider:<uuid>"). Adapters sort
   * them, so callers cannot deadlock each other. SQLite may treat this as a no-op
   * because its transactions are already serialized.
   */
  lock(keys: readonly string[]): Promise<void>;

  insertFacility(row: Facility): Promise<void>;
  /** Replaces every column of the row with this id. */
  updateFacility(row: Facility): Promise<void>;

  /** Also writes the user's facility links (`row.facilities`). */
  insertUser(row: User): Promise<void>;
  /** Replaces every column and the facility links. */
  updateUser(row: User): Promise<void>;

  insertPatient(row: Patient): Promise<void>;
  updatePatient(row: Patient): Promise<void>;

  insertAppointment(row: Appointment): Promise<void>;
  /** Replaces every column (including status, deleted_at, version) of the row with this id. */
  updateAppointment(row: Appointment): Promise<void>;

  /**
   * Queues notifications; a row whose dedupe_key (or id) already exists is skipped
   * silently. Returns the rows actually inserted.
   */
  enqueueNotifications(rows: readonly Notification[]): Promise<Notification[]>;
  /** Replaces every column of the notification with this id. */
  updateNotification(row: Notification): Promise<void>;
  /**
   * A dispatcher's outcomes: for each row, its delivery columns (status, attempts,
   * sent_at, next_attempt_at, last_error, updated_at), in one statement where the adapter
   * can. Every row must exist.
   */
  recordDeliveries(rows: readonly Notification[]): Promise<void>;
  /**
   * Claims due notifications for delivery: status `pending`, this owner, one of these
   * channels, `next_attempt_at <= now`; oldest `next_attempt_at` (then id) first, at most
   * `limit`. Each becomes `sending` with attempts + 1 and updated_at = now; returns them
   * as they are after the claim.
   */
  claimNotifications(claim: NotificationClaim): Promise<Notification[]>;
  /**
   * After a crash: every `sending` row of this owner goes back to `pending`, due now (it
   * is sent again under the same Message-ID). Returns how many.
   */
  releaseNotificationClaims(owner: string, now: number): Promise<number>;
  /** The pending reminders of one appointment (any owner), by (created_at, id). */
  pendingReminders(appointmentId: string): Promise<Notification[]>;

  /**
   * Inserts a conflict record, or returns the existing one with the same `dedupeKey`
   * unchanged (one record per pair and kind). Central only: on an edge the conflicts
   * table is a copy of central's, written by the sync applier.
   */
  upsertConflict(row: ConflictRecord, dedupeKey: string): Promise<ConflictRecord>;
  /** Replaces every column of the conflict with this id. */
  updateConflict(row: ConflictRecord): Promise<void>;

  /**
   * Appends a mutation to the outbox with the next sequence number and returns it.
   * Edge only: central has no outbox and throws.
   */
  appendOutbox(entry: OutboxEntry): Promise<number>;
}

export interface Store extends StoreReads {
  /** Which engine this is, for logs and /healthz: "sqlite", "pglite" or "postgres". */
  readonly kind: 'sqlite' | 'pglite' | 'postgres';
  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  /** A value kept in the node's own metadata (node id, schema info), or undefined. */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Cheap liveness probe for /healthz (e.g. `select 1`). */
  ping(): Promise<void>;
  /** Closes connections. Idempotent. */
  close(): Promise<void>;
}
