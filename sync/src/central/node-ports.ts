/**
 * What central's sync needs from its database besides the storage port: the registry of
 * enrolled nodes and the receipts that make pushes idempotent (sync/SPEC.md sections 2
 * and 6). store-postgres implements it (src/sync/central-sync-store.ts).
 */
import type { NodeRecord, Page, PageRequest, WriteTx } from '@clinic/core';

export type { NodeRecord } from '@clinic/core';

export interface PushContext {
  tx: WriteTx;
  /** last_seq read under the node's lock, in this transaction. */
  lastSeq: number;
  /** The stored answer to an earlier push of `seq` (a replay), if any. */
  receipt(seq: number): Promise<string | undefined>;
  /** Stores the answer to `seq` and moves last_seq to it, in this transaction. */
  answer(seq: number, outcome: string, at: number): Promise<void>;
}

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
  /** Runs `fn` in one transaction holding the node's push lock. */
  withNodeLock<T>(nodeId: string, fn: (ctx: PushContext) => Promise<T>): Promise<T>;
  /** Mutations pushed by all nodes, for the nodes view and benchmarks. */
  countReceipts(): Promise<number>;
}
