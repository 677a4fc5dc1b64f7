/**
 * Raw sync-protocol requests for tests that play a node by hand against a real central
 * (tests/sync/push*.test.ts, notifications-sync.test.ts): enroll, build mutations the way a
 * node does, and push them with any protocol version and backlog.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { formatHlc, type Register } from '@clinic/domain';
import { HOUR, type Json, type SyncWorld } from './sync-harness';

/** A node as the test plays it: its id, its token and the last seq it used. */
export interface RawNode {
  id: string;
  token: string;
  seq: number;
}

export const REGISTERS: Register[] = ['slot', 'details', 'status', 'deleted'];

let ms = 1;
/** A fresh HLC of `node`, later than every one made before in this process. */
export const stamp = (node: string) => formatHlc({ ms: Date.now() + (ms += 1), counter: 0, node });

/** Enrolls a node on central through the API (201 expected). */
export async function enrollRaw(
  world: SyncWorld,
  facilities: string[],
  name = `raw ${randomUUID().slice(0, 8)}`,
): Promise<RawNode> {
  const res = await world.c.call('POST', '/api/v1/nodes/', { name, facilities }, world.adminToken);
  expect(res.status).toBe(201);
  expect(res.body.token).toMatch(/^clinic-node\./);
  return { id: res.body.id, token: res.body.token, seq: 0 };
}

/** An appointment row as a node sends it: the region's provider, one hour from `start`. */
export function appointmentRow(
  world: SyncWorld,
  facility: string,
  patient: string,
  start: number,
  extra: Json = {},
): Json {
  return {
    id: randomUUID(),
    patient,
    provider: world.region.provider.id,
    facility,
    appointment_type: 'consultation',
    reason: 'cough',
    status: 'scheduled',
    start_time: start,
    end_time: start + HOUR,
    created_by: null,
    deleted_at: null,
    created_at: Date.now(),
    updated_at: Date.now(),
    ...extra,
  };
}

/** The node's next `appointment.put` creating `row` (or claiming to change it: created false). */
export function createMutation(node: RawNode, row: Json, created = true): Json {
  const h = stamp(node.id);
  node.seq += 1;
  return {
    seq: node.seq,
    kind: 'appointment.put',
    entity_id: row.id,
    hlc: h,
    args: {
      row,
      changed: REGISTERS,
      base: {},
      clocks: Object.fromEntries(REGISTERS.map((r) => [r, h])),
      created,
    },
  };
}

/** The node's next `appointment.put` changing `changed` registers from clocks `base`. */
export function changeMutation(node: RawNode, row: Json, changed: Register[], base: Json): Json {
  const h = stamp(node.id);
  node.seq += 1;
  const clocks = { ...base };
  for (const r of changed) clocks[r] = h;
  return {
    seq: node.seq,
    kind: 'appointment.put',
    entity_id: row.id,
    hlc: h,
    args: { row, changed, base, clocks, created: false },
  };
}

/** POST /sync/v{version}/push with the node's token; versions 2 and 3 carry `backlog`. */
export function rawPush(
  world: SyncWorld,
  node: RawNode,
  mutations: Json[],
  options: { version?: number; backlog?: number } = {},
) {
  const version = options.version ?? 3;
  const body =
    version === 1
      ? { protocol_version: 1, node_id: node.id, mutations }
      : { protocol_version: version, node_id: node.id, backlog: options.backlog ?? 0, mutations };
  return world.c.call('POST', `/sync/v${version}/push`, body, node.token);
}
