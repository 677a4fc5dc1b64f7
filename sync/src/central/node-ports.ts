/**
 * What central's sync needs from its database besides the storage port: the registry of
 * enrolled nodes and the receipts that make pushes idempotent (sync/SPEC.md sections 2
 * and 6). store-postgres implements it (src/sync/central-sync-store.ts).
 */
import type { NodeRecord, Page, PageRequest, WriteTx } from '@clinic/core';

export type { NodeRecord } from '@clinic/core';

export interface CentralSyncStore {
  createNode(
    row: Omit<
      NodeRecord,
      | 'last_seq'
      | 'last_push_at'
      | 'last_pull_at'
      | 'backlog'
      | 'protocol_version'
      | 'last_error'
      | 'revoked_at'
    > & { token_hash: string },
  ): Promise<void>;
  getNode(id: string): Promise<(NodeRecord & { token_hash: string }) | undefined>;
  listNodes(page: PageRequest): Promise<Page<NodeRecord>>;
  /** Sets revoked_at; false when there is no such node. */
  revokeNode(id: string, at: number): Promise<boolean>;
  notePull(id: string, at: number): Promise<void>;
  notePush(
    id: string,
    report: {
      at: number;
      backlog: number | null;
      protocol_version: number;
      last_error: string | null;
    },
  ): Promise<void>;
  /**
   * Runs `fn` in one transaction, then stores its answer as the node's `seq` and moves
   * last_seq to it, in the same transaction, only if last_seq was `seq - 1`. Otherwise (a
   * replay that raced, or a gap) everything rolls back and `{applied: false}` comes back.
   * No lock is held up front: the conditional update is what makes each seq apply once.
   */
  applyAt<T>(
    nodeId: string,
    seq: number,
    fn: (tx: WriteTx) => Promise<{ answer: string; value: T }>,
    at: number,
  ): Promise<{ applied: true; value: T } | { applied: false }>;
  /** The stored answer to `seq` of the node, if central has answered it. */
  receipt(nodeId: string, seq: number): Promise<string | undefined>;
  /** Mutations pushed by all nodes, for the nodes view and benchmarks. */
  countReceipts(): Promise<number>;
}
