/**
 * The sync wire protocol between clinic nodes and central (sync/SPEC.md): zod schemas
 * for enrollment and push. The pull side is the Electric Shape protocol (shape-*.ts).
 *
 * Versions: central serves CURRENT and PREVIOUS, because clinics upgrade late.
 * - 1: push without `backlog`; results without `row`.
 * - 2: push carries the node's `backlog`; each result carries central's row after it.
 * - 3: adds the `notifications.put` mutation (a node's queued notifications and their
 *   delivery state) and the `notifications` shape.
 * protocol.test.ts pins a hash of these schemas: a change to them needs a new version.
 */
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_EVENTS,
  NOTIFICATION_RECIPIENTS,
  NOTIFICATION_STATUSES,
} from '@clinic/domain';
import { z } from 'zod';

export const PROTOCOL_VERSION = 3;
export const PREVIOUS_PROTOCOL_VERSION = 2;
export const SUPPORTED_PROTOCOL_VERSIONS = [
  1,
  PREVIOUS_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
] as const;

/** Most mutations in one push request. */
export const MAX_PUSH_BATCH = 200;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const epochMs = z.number().int();
const hlc = z.string().min(1).max(200);
const registers = z.enum(['slot', 'details', 'status', 'deleted']);
const registerClocks = z.partialRecord(registers, hlc);

export const appointmentWire = z.object({
  id: uuid,
  patient: uuid,
  provider: uuid,
  facility: uuid,
  appointment_type: z.string().min(1).max(50),
  reason: z.string().max(2000),
  status: z.enum(['scheduled', 'completed', 'cancelled', 'no_show']),
  start_time: epochMs,
  end_time: epochMs,
  created_by: uuid.nullable(),
  deleted_at: epochMs.nullable(),
  created_at: epochMs,
  updated_at: epochMs,
});
export type AppointmentWire = z.infer<typeof appointmentWire>;

export const patientWire = z.object({
  id: uuid,
  patient_id: z.string().min(1).max(50),
  first_name: z.string().max(100),
  last_name: z.string().max(100),
  phone_number: z.string().max(30),
  email: z.string().max(254),
  registered_facility: uuid.nullable(),
  is_active: z.boolean(),
  created_at: epochMs,
  updated_at: epochMs,
});
export type PatientWire = z.infer<typeof patientWire>;

export const appointmentPutArgs = z.object({
  row: appointmentWire,
  changed: z.array(registers).min(1),
  /** Register clocks of the node's copy before the write; {} for a new appointment. */
  base: registerClocks,
  /** Register clocks after the write. */
  clocks: registerClocks,
  /** True when the node created the appointment with this mutation. */
  created: z.boolean(),
});
export type AppointmentPutArgs = z.infer<typeof appointmentPutArgs>;

export const patientPutArgs = z.object({
  row: patientWire,
  /** The fields the node changed (all of them for a new patient). */
  changed: z.array(z.string().max(50)).min(1),
  /** Field clocks after the write. */
  clocks: z.record(z.string(), hlc),
  created: z.boolean(),
});
export type PatientPutArgs = z.infer<typeof patientPutArgs>;

export const mutation = z.discriminatedUnion('kind', [
  z.object({
    seq: z.number().int().min(1),
    kind: z.literal('appointment.put'),
    entity_id: uuid,
    hlc,
    args: appointmentPutArgs,
  }),
  z.object({
    seq: z.number().int().min(1),
    kind: z.literal('patient.put'),
    entity_id: uuid,
    hlc,
    args: patientPutArgs,
  }),
]);

export const notificationWire = z.object({
  id: uuid,
  appointment_id: uuid,
  event: z.enum(NOTIFICATION_EVENTS),
  recipient: z.enum(NOTIFICATION_RECIPIENTS),
  channel: z.enum(NOTIFICATION_CHANNELS),
  address: z.string().min(1).max(320),
  dedupe_key: z.string().min(1).max(400),
  status: z.enum(NOTIFICATION_STATUSES),
  attempts: z.number().int().min(0),
  created_at: epochMs,
  sent_at: epochMs.nullable(),
  owner: z.string().min(1).max(100),
  next_attempt_at: epochMs,
  last_error: z.string().max(1000).nullable(),
  conflict_id: uuid.nullable(),
  reminder_for: epochMs.nullable(),
  updated_at: epochMs,
});
export type NotificationWire = z.infer<typeof notificationWire>;

/** Most notification rows in one `notifications.put`. */
export const MAX_NOTIFICATIONS_PER_MUTATION = 64;

export const notificationsPutArgs = z.object({
  /** Empty only if the node lost the rows (it never deletes them): nothing to apply. */
  rows: z.array(notificationWire).max(MAX_NOTIFICATIONS_PER_MUTATION),
});
export type NotificationsPutArgs = z.infer<typeof notificationsPutArgs>;

/** Version 3's mutations: version 2's plus `notifications.put`. */
export const mutationV3 = z.discriminatedUnion('kind', [
  ...mutation.options,
  z.object({
    seq: z.number().int().min(1),
    kind: z.literal('notifications.put'),
    entity_id: uuid,
    hlc,
    args: notificationsPutArgs,
  }),
]);
export type Mutation = z.infer<typeof mutationV3>;
export type MutationKind = Mutation['kind'];

export const pushRequestV1 = z.object({
  protocol_version: z.literal(1),
  node_id: uuid,
  mutations: z.array(mutation).max(MAX_PUSH_BATCH),
});

export const pushRequestV2 = z.object({
  protocol_version: z.literal(2),
  node_id: uuid,
  /** Mutations the node still has to push, this batch included. */
  backlog: z.number().int().min(0),
  mutations: z.array(mutation).max(MAX_PUSH_BATCH),
});

export const pushRequestV3 = z.object({
  protocol_version: z.literal(3),
  node_id: uuid,
  backlog: z.number().int().min(0),
  mutations: z.array(mutationV3).max(MAX_PUSH_BATCH),
});
export type PushRequest = z.infer<typeof pushRequestV3>;

export const OUTCOMES = ['applied', 'applied_with_conflict', 'rejected', 'deferred'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const resultV1 = z.object({
  seq: z.number().int(),
  outcome: z.enum(OUTCOMES),
  code: z.string().optional(),
  message: z.string().optional(),
  /** Conflict records this mutation opened or re-opened. */
  conflicts: z.array(uuid).optional(),
});

export const pushResultV2 = resultV1.extend({
  /**
   * Central's record of the entity after this mutation (the domain record as JSON, with
   * clocks and version), or null when central has none.
   */
  row: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type PushResult = z.infer<typeof pushResultV2>;

const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

export const pushResponseV1 = z.object({
  protocol_version: z.literal(1),
  last_applied_seq: z.number().int(),
  results: z.array(resultV1),
});

export const pushResponseV2 = z.object({
  protocol_version: z.literal(2),
  last_applied_seq: z.number().int(),
  results: z.array(pushResultV2),
  /** Central's public keys, so the node verifies central-issued tokens offline. */
  central_keys: jwks,
});

export const pushResponseV3 = pushResponseV2.extend({ protocol_version: z.literal(3) });
export type PushResponse = z.infer<typeof pushResponseV3>;

export const enrollmentResponse = z.object({
  protocol_version: z.number().int(),
  supported_versions: z.array(z.number().int()),
  node: z.object({ id: uuid, name: z.string(), facilities: z.array(uuid) }),
  central: z.object({ node_id: z.string(), keys: jwks }),
  /** The node's last sequence number central has applied (0 for a new node). */
  last_applied_seq: z.number().int(),
});
export type EnrollmentResponse = z.infer<typeof enrollmentResponse>;

/** Every schema that crosses the wire, for the hash pin in protocol.test.ts. */
export const WIRE_SCHEMAS = {
  mutation,
  pushRequestV1,
  pushRequestV2,
  pushResponseV1,
  pushResponseV2,
  enrollmentResponse,
  mutationV3,
  pushRequestV3,
  pushResponseV3,
};

/** The tables a node pulls, parents first (sync/SPEC.md section 5). */
export const SHAPE_TABLES = [
  'facilities',
  'users',
  'user_facilities',
  'patients',
  'appointments',
  'notifications',
  'conflicts',
] as const;
export type ShapeTable = (typeof SHAPE_TABLES)[number];

/** Node tokens look like `clinic-node.<node id>.<secret>`. */
export const NODE_TOKEN_PATTERN = /^clinic-node\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{32,})$/;
