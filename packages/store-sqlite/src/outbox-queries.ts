/**
 * SQL of the outbox the core writes through (the port's appendOutbox and syncStateOf):
 * a mutation appended in the transaction of its write, and where an entity's changes stand
 * with central. The sync engine's reads and acknowledgements are in sync/outbox-store.ts.
 */
import type { EntitySyncState, OutboxEntry } from '@clinic/core';
import type { StatementCache } from './statement-cache';

const APPEND_OUTBOX = `
  INSERT INTO outbox (kind, entity_id, hlc, args, status, created_at)
  VALUES (@kind, @entity_id, @hlc, @args, 'pending', @created_at)`;

/**
 * Where an entity's local changes stand: pending while any mutation of it waits for
 * central; otherwise what central answered to the last one (rejected, or synced).
 */
export function syncStateOf(sql: StatementCache, entityId: string): EntitySyncState {
  const last = sql.get1<{
    pending: number;
    status: string;
    code: string | null;
    message: string | null;
  }>(
    `SELECT (SELECT COUNT(*) FROM outbox WHERE entity_id = @id AND status = 'pending') AS pending,
            status, code, message
       FROM outbox WHERE entity_id = @id ORDER BY seq DESC LIMIT 1`,
    { id: entityId },
  );
  if (!last) return { state: 'synced', code: null, message: null };
  if (last.pending > 0) return { state: 'pending', code: null, message: null };
  if (last.status === 'rejected')
    return { state: 'rejected', code: last.code, message: last.message };
  return { state: 'synced', code: null, message: null };
}

/** Appends a pending mutation; returns its sequence number. */
export function appendOutbox(sql: StatementCache, entry: OutboxEntry): number {
  sql.run(APPEND_OUTBOX, { ...entry });
  return Number(sql.get1<{ seq: number }>('SELECT last_insert_rowid() AS seq')?.seq);
}
