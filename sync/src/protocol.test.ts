import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WIRE_SCHEMAS, pushRequestV1, pushRequestV2, pushRequestV3 } from './protocol';

/**
 * The wire schemas are a contract with nodes in the field, which upgrade late. If this
 * hash changes, the change must be a new PROTOCOL_VERSION (and central must keep serving
 * the previous one), then update the pinned value.
 */
const PINNED = '076514593d8795d031b7fc506c21078591f6b6541fd94e61a38bc969eab8575d';
/** Versions 1 and 2 alone, as pinned when version 2 was current: they must never change. */
const PINNED_V1_V2 = 'cd519c87f17994b5dc6d97d70d949407188fc0f19f8521efa48d2f489509e1c4';
const V1_V2_SCHEMAS = [
  'mutation',
  'pushRequestV1',
  'pushRequestV2',
  'pushResponseV1',
  'pushResponseV2',
  'enrollmentResponse',
];

function hashOf(entries: [string, z.ZodType][]): string {
  const json = JSON.stringify(
    Object.fromEntries(entries.map(([name, schema]) => [name, z.toJSONSchema(schema)])),
  );
  return createHash('sha256').update(json).digest('hex');
}

describe('sync wire protocol', () => {
  it('has the pinned schema hash', () => {
    expect(hashOf(Object.entries(WIRE_SCHEMAS))).toBe(PINNED);
  });

  it('still speaks versions 1 and 2 exactly as before', () => {
    const old = Object.entries(WIRE_SCHEMAS).filter(([name]) => V1_V2_SCHEMAS.includes(name));
    expect(old.map(([name]) => name)).toEqual(V1_V2_SCHEMAS);
    expect(hashOf(old)).toBe(PINNED_V1_V2);
  });

  it('version 3 adds notifications.put, which version 2 refuses', () => {
    const n = {
      seq: 1,
      kind: 'notifications.put',
      entity_id: '0190a8d2-0000-7000-8000-000000000002',
      hlc: '0001700000000-0000-x',
      args: {
        rows: [
          {
            id: '0190a8d2-0000-7000-8000-000000000002',
            appointment_id: '0190a8d2-0000-7000-8000-000000000003',
            event: 'created',
            recipient: 'patient',
            channel: 'sms',
            address: '+254700000000',
            dedupe_key: 'k',
            status: 'pending',
            attempts: 0,
            created_at: 1,
            sent_at: null,
            owner: 'central',
            next_attempt_at: 1,
            last_error: null,
            conflict_id: null,
            reminder_for: null,
            updated_at: 1,
          },
        ],
      },
    };
    const body = { node_id: '0190a8d2-0000-7000-8000-000000000001', backlog: 1, mutations: [n] };
    expect(pushRequestV3.safeParse({ ...body, protocol_version: 3 }).success).toBe(true);
    expect(pushRequestV2.safeParse({ ...body, protocol_version: 2 }).success).toBe(false);
  });

  it('tells the two push versions apart', () => {
    const v1 = {
      protocol_version: 1,
      node_id: '0190a8d2-0000-7000-8000-000000000001',
      mutations: [],
    };
    expect(pushRequestV1.safeParse(v1).success).toBe(true);
    expect(pushRequestV2.safeParse(v1).success).toBe(false);
    expect(pushRequestV2.safeParse({ ...v1, protocol_version: 2, backlog: 0 }).success).toBe(true);
  });
});
