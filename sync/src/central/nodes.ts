/**
 * Enrolled clinic nodes on central (sync/SPEC.md section 6): enrollment with a secret
 * token shown once (central keeps only its SHA-256), the list with each node's sync
 * health, revocation, and the bearer check of every push and pull.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Page, PageRequest, StoreReads } from '@clinic/core';
import {
  addFieldError,
  hasErrors,
  notFound,
  validationError,
  type Clock,
  type FieldErrors,
  type IdGenerator,
} from '@clinic/domain';
import { NODE_TOKEN_PATTERN } from '../protocol';
import type { CentralSyncStore, NodeRecord } from './node-ports';

export interface EnrolledNode {
  id: string;
  name: string;
  facilities: string[];
  /** The secret the node presents; shown once, never stored. */
  token: string;
  created_at: number;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createNodeService(deps: {
  sync: CentralSyncStore;
  reads: Pick<StoreReads, 'getFacility'>;
  ids: IdGenerator;
  clock: Clock;
}) {
  const { sync, reads, ids, clock } = deps;
  return {
    async enroll(input: { name: string; facilities: string[] }): Promise<EnrolledNode> {
      const errors: FieldErrors = {};
      const facilities = [...new Set(input.facilities)];
      if (facilities.length === 0) {
        addFieldError(errors, 'facilities', 'A node needs at least one facility.');
      }
      for (const id of facilities) {
        if (!(await reads.getFacility(id))) {
          addFieldError(errors, 'facilities', `Invalid pk "${id}" - object does not exist.`);
        }
      }
      if (hasErrors(errors)) throw validationError(errors);
      const id = ids.next();
      const token = `clinic-node.${id}.${randomBytes(32).toString('base64url')}`;
      const created_at = clock.now();
      await sync.createNode({
        id,
        name: input.name,
        facilities,
        created_at,
        token_hash: hashToken(token),
      });
      return { id, name: input.name, facilities, token, created_at };
    },

    list(page: PageRequest): Promise<Page<NodeRecord>> {
      return sync.listNodes(page);
    },

    async get(id: string): Promise<NodeRecord> {
      const node = await sync.getNode(id);
      if (!node) throw notFound();
      const { token_hash: _secret, ...record } = node;
      return record;
    },

    async revoke(id: string): Promise<void> {
      if (!(await sync.revokeNode(id, clock.now()))) throw notFound();
    },

    /** The node behind `Authorization: Bearer <node token>`, unless unknown or revoked. */
    async authenticate(header: string | undefined): Promise<NodeRecord | undefined> {
      const token = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
      const match = NODE_TOKEN_PATTERN.exec(token);
      if (!match?.[1]) return undefined;
      const node = await sync.getNode(match[1]);
      if (!node || node.revoked_at !== null) return undefined;
      const presented = Buffer.from(hashToken(token), 'hex');
      const stored = Buffer.from(node.token_hash, 'hex');
      if (presented.length !== stored.length || !timingSafeEqual(presented, stored))
        return undefined;
      const { token_hash: _secret, ...record } = node;
      return record;
    },
  };
}

export type NodeService = ReturnType<typeof createNodeService>;
