/**
 * What the edge's sync engine needs from the node's database besides the storage port:
 * the outbox (push) and the sync metadata. store-sqlite implements it
 * (src/sync/outbox-store.ts); the pull applier is injected separately (puller.ts).
 */
import type { RejectedMutation } from '@clinic/core';

export interface OutboxRow {
  seq: number;
  kind: 'appointment.put' | 'patient.put' | 'notifications.put';
  entity_id: string;
  hlc: string;
  /** JSON text of the args. */
  args: string;
}

export interface OutboxAnswer {
  seq: number;
  outcome: 'applied' | 'applied_with_conflict' | 'rejected';
  code?: string | undefined;
  message?: string | undefined;
}

export interface EdgeOutboxStore {
  /** The oldest pending mutations, in seq order. */
  pending(limit: number): Promise<OutboxRow[]>;
  countPending(): Promise<number>;
  /** Records central's answers (in one transaction). */
  acknowledge(answers: readonly OutboxAnswer[], at: number): Promise<void>;
  /** Mutations central rejected, newest first. */
  rejected(limit: number): Promise<RejectedMutation[]>;
  countOpenConflicts(): Promise<number>;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}
