import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WIRE_SCHEMAS, pushRequestV1, pushRequestV2 } from './protocol';

/**
 * The wire schemas are a contract with nodes in the field, which upgrade late. If this
 * hash changes, the change must be a new PROTOCOL_VERSION (and central must keep serving
 * the previous one), then update the pinned value.
 */
const PINNED = 'cd519c87f17994b5dc6d97d70d949407188fc0f19f8521efa48d2f489509e1c4';

describe('sync wire protocol', () => {
  it('has the pinned schema hash', () => {
    const json = JSON.stringify(
      Object.fromEntries(
        Object.entries(WIRE_SCHEMAS).map(([name, schema]) => [name, z.toJSONSchema(schema)]),
      ),
    );
    expect(createHash('sha256').update(json).digest('hex')).toBe(PINNED);
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
