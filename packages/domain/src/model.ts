/**
 * The records of the scheduling domain, as plain data. Times are UTC epoch
 * milliseconds; ids are UUIDv7 strings born where the row is born.
 */

export const ROLES = ['admin', 'provider', 'patient'] as const;
export type Role = (typeof ROLES)[number];

/** The seed's user types. */
export const USER_TYPES = [
  'admin',
  'doctor',
  'nurse',
  'midwife',
  'community_worker',
  'pharmacist',
  'lab_technician',
] as const;
export type UserType = (typeof USER_TYPES)[number];

/** User types that may be booked as the provider of an appointment. */
export const PROVIDER_USER_TYPES: readonly UserType[] = [
  'doctor',
  'nurse',
  'midwife',
  'community_worker',
];

export const APPOINTMENT_STATUSES = ['scheduled', 'completed', 'cancelled', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** Kinds of visit a clinic books. Documented in docs/API.md. */
export const APPOINTMENT_TYPES = [
  'consultation',
  'follow_up',
  'vaccination',
  'antenatal',
  'postnatal',
  'family_planning',
  'laboratory',
  'home_visit',
  'emergency',
  'other',
] as const;
export type AppointmentType = (typeof APPOINTMENT_TYPES)[number];

/** Provenance every synced row carries: which node wrote it last, and its write count. */
export interface Versioned {
  /** Node that made the latest write of this row. */
  origin_node: string;
  /** 1 at creation, +1 on every write. */
  version: number;
  created_at: number;
  updated_at: number;
}

export interface Facility extends Versioned {
  id: string;
  name: string;
  /** IANA time zone, e.g. "Africa/Nairobi". */
  timezone: string;
  /** How many active appointments may overlap at this facility at any instant. */
  capacity: number;
  is_active: boolean;
}

export interface User extends Versioned {
  id: string;
  username: string;
  /** scrypt hash (see packages/auth); never leaves the server in an API body. */
  password_hash: string;
  role: Role;
  user_type: UserType;
  first_name: string;
  last_name: string;
  email: string;
  phone_number: string;
  facilities: string[];
  is_active: boolean;
}

export interface Patient extends Versioned {
  id: string;
  /** The clinic's medical record number (MRN); unique. */
  patient_id: string;
  first_name: string;
  last_name: string;
  phone_number: string;
  email: string;
  registered_facility: string | null;
  is_active: boolean;
  /** JSON object: the HLC of the last write of each field (see merge.ts). */
  clocks: string;
}

export interface Appointment extends Versioned {
  id: string;
  patient: string;
  provider: string;
  facility: string;
  appointment_type: AppointmentType;
  reason: string;
  status: AppointmentStatus;
  start_time: number;
  end_time: number;
  created_by: string | null;
  /** Set when the appointment was deleted (a tombstone: the row stays for sync and audit). */
  deleted_at: number | null;
  /** JSON object: the HLC of the last write of each register (see merge.ts). */
  clocks: string;
}

/** An appointment joined with the names the API shows beside the ids. */
export interface AppointmentView extends Appointment {
  patient_first_name: string;
  patient_last_name: string;
  /** The patient's MRN. */
  patient_mrn: string;
  provider_first_name: string;
  provider_last_name: string;
  provider_user_type: UserType;
  facility_name: string;
  facility_timezone: string;
}

export const NOTIFICATION_EVENTS = [
  'created',
  'updated',
  'cancelled',
  'reminder',
  'conflict',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
export const NOTIFICATION_CHANNELS = ['email', 'sms'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export const NOTIFICATION_RECIPIENTS = ['patient', 'provider', 'admin'] as const;
export type NotificationRecipient = (typeof NOTIFICATION_RECIPIENTS)[number];
/**
 * `pending` waits for its time (`next_attempt_at`); `sending` is claimed by a dispatcher
 * (a crash leaves it there, and the next start sends it again under the same Message-ID);
 * `sent` was accepted by the transport; `failed` is the dead letter (attempts used up;
 * an admin may retry it); `dropped` will never be sent (a reminder of an appointment that
 * was cancelled or moved).
 */
export const NOTIFICATION_STATUSES = ['pending', 'sending', 'sent', 'failed', 'dropped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** The owner of notifications central delivers (a clinic node's own are its node id). */
export const CENTRAL_OWNER = 'central';

/** One message to one recipient on one channel, queued in the transaction of the change. */
export interface Notification {
  id: string;
  appointment_id: string;
  event: NotificationEvent;
  recipient: NotificationRecipient;
  channel: NotificationChannel;
  /** Email address or phone number at the time of the event. */
  address: string;
  /**
   * Unique per (appointment, event occurrence, recipient, channel): the exactly-once key.
   * The Message-ID of the email (and the idempotency key of a webhook) derive from it.
   */
  dedupe_key: string;
  status: NotificationStatus;
  /** Delivery attempts started (a claim counts one). */
  attempts: number;
  created_at: number;
  sent_at: number | null;
  /**
   * Who delivers it: `central` (CENTRAL_OWNER), or the node id of the clinic node that
   * queued it when that node has its own transport for the channel. Never both.
   */
  owner: string;
  /** Not to be sent before this time: the reminder's time, or the next retry's. */
  next_attempt_at: number;
  /** The last delivery error (transport's words, no patient data), or null. */
  last_error: string | null;
  /** For a `conflict` notification, the conflict record it reports. */
  conflict_id: string | null;
  /** For a `reminder`, the start_time it reminds of: moved or cancelled means dropped. */
  reminder_for: number | null;
  /** When the row last changed (status, attempts). */
  updated_at: number;
}

export const CONFLICT_KINDS = ['provider', 'patient', 'facility', 'edit'] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];
export type ConflictStatus = 'open' | 'resolved';

/**
 * A late conflict found by central: two appointments that overlap on one dimension
 * (provider, patient, facility beyond capacity), or a concurrent edit whose losing value
 * is kept here (kind `edit`, one appointment). See sync/SPEC.md.
 */
export interface ConflictRecord {
  id: string;
  kind: ConflictKind;
  /** Two ids (sorted) for an overlap, one for an edit. */
  appointment_a: string;
  appointment_b: string | null;
  status: ConflictStatus;
  detected_at: number;
  resolved_at: number | null;
  resolution: string | null;
  /** JSON: for an edit, {register, losing_value, losing_hlc, winning_hlc}. */
  details: string;
  version: number;
  updated_at: number;
}
