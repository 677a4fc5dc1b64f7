/** What the application services need from the outside world, passed in by the app. */
import type {
  Appointment,
  Clock,
  HybridClock,
  IdGenerator,
  Notification,
  Patient,
  Register,
  RegisterClocks,
  Role,
} from '@clinic/domain';
import type { NotifySettings } from './notification-queue';
import type { Store, WriteTx } from './store';

/** One write of an appointment, as the write hooks see it (inside its transaction). */
export interface AppointmentChange {
  before: Appointment | undefined;
  after: Appointment;
  changed: Register[];
  /** Register clocks before the write ({} for a new appointment). */
  base: RegisterClocks;
  clocks: RegisterClocks;
}

export interface PatientChange {
  before: Patient | undefined;
  after: Patient;
  /** Fields that changed (every field for a new patient). */
  changed: string[];
  clocks: Record<string, string>;
}

/**
 * What a node does besides the write itself, in the same transaction: an edge appends
 * the mutation to its outbox; central re-checks the appointment's open conflicts.
 */
export interface WriteHooks {
  appointmentWritten?(tx: WriteTx, change: AppointmentChange): Promise<void>;
  patientWritten?(tx: WriteTx, change: PatientChange): Promise<void>;
  /**
   * Notifications this node queued or whose state it changed (delivered, failed, dropped,
   * retried), after the rows were written: an edge pushes them to central.
   */
  notificationsWritten?(tx: WriteTx, rows: readonly Notification[]): Promise<void>;
}

export interface CoreDeps {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** The id of the node this process runs as (edge node id, or central's). */
  nodeId: string;
  /** Stamps each register/field a write changes (sync/SPEC.md). */
  hlc: HybridClock;
  hooks?: WriteHooks;
  /** Who delivers queued notifications, and reminder timing (default: central's). */
  notify?: NotifySettings;
}

/** Who is asking: the authenticated user behind a request. */
export interface Actor {
  userId: string;
  role: Role;
}
