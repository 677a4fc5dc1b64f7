/**
 * Central's sync tables (nodes, sync_receipts) on PostgreSQL: implements the
 * CentralSyncStore port of sync/src/central/node-ports.ts structurally (adapters do not
 * import the sync package).
 */
import type { NodeRecord, Page, PageRequest, WriteTx } from '@clinic/core';
import type { Executor, Row } from '../executor';
import { selectPage } from '../paging';
import { Params, lookupId } from '../params';
import { msColumn } from '../sql-time';
import type { PgStore } from '../store';

/** Rolls back a mutation whose seq turned out not to be the node's next. */
class NotNextError extends Error {}

type NodeRow = NodeRecord;

const NODE_COLUMNS =
  `n.id::text AS id, n.name, n.facilities::text[] AS facilities, ` +
  `${msColumn('n.created_at')} AS created_at, ${msColumn('n.revoked_at')} AS revoked_at, ` +
  `n.last_seq::float8 AS last_seq, ${msColumn('n.last_push_at')} AS last_push_at, ` +
  `${msColumn('n.last_pull_at')} AS last_pull_at, n.backlog, n.protocol_version, n.last_error`;

function toNode(r: Row): NodeRow {
  return {
    id: r.id as string,
    name: r.name as string,
    facilities: r.facilities as string[],
    created_at: r.created_at as number,
    revoked_at: r.revoked_at as number | null,
    last_seq: r.last_seq as number,
    last_push_at: r.last_push_at as number | null,
    last_pull_at: r.last_pull_at as number | null,
    backlog: r.backlog as number | null,
    protocol_version: r.protocol_version as number | null,
    last_error: r.last_error as string | null,
  };
}

const ts = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function createCentralSyncStore(store: PgStore) {
  const { db } = store;
  return {
    async createNode(row: {
      id: string;
      name: string;
      facilities: string[];
      created_at: number;
      token_hash: string;
    }): Promise<void> {
      await db.query(
        `INSERT INTO nodes (id, name, token_hash, facilities, created_at)
         VALUES ($1, $2, $3, $4::uuid[], $5)`,
        [row.id, row.name, row.token_hash, row.facilities, ts(row.created_at)],
      );
    },

    async getNode(id: string): Promise<(NodeRow & { token_hash: string }) | undefined> {
      const [row] = await db.query(
        `SELECT ${NODE_COLUMNS}, n.token_hash FROM nodes n WHERE n.id = $1`,
        [lookupId(id)],
      );
      return row && { ...toNode(row), token_hash: row.token_hash as string };
    },

    listNodes(page: PageRequest): Promise<Page<NodeRow>> {
      return selectPage(
        db,
        { columns: NODE_COLUMNS, from: 'nodes n', where: [], orderBy: 'n.created_at, n.id' },
        new Params(),
        page,
        toNode,
      );
    },

    async revokeNode(id: string, at: number): Promise<boolean> {
      const rows = await db.query(
        'UPDATE nodes SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING id',
        [lookupId(id), ts(at)],
      );
      return rows.length === 1;
    },

    async notePull(id: string, at: number): Promise<void> {
      await db.query('UPDATE nodes SET last_pull_at = $2 WHERE id = $1', [id, ts(at)]);
    },

    async notePush(
      id: string,
      report: {
        at: number;
        backlog: number | null;
        protocol_version: number;
        last_error: string | null;
      },
    ): Promise<void> {
      await db.query(
        `UPDATE nodes SET last_push_at = $2, backlog = $3, protocol_version = $4, last_error = $5
          WHERE id = $1`,
        [id, ts(report.at), report.backlog, report.protocol_version, report.last_error],
      );
    },

    applyAt<T>(
      nodeId: string,
      seq: number,
      fn: (tx: WriteTx) => Promise<{ answer: string; value: T }>,
      at: number,
    ): Promise<{ applied: true; value: T } | { applied: false }> {
      const run = store.writeWith(async (tx, ex: Executor) => {
        const { answer, value } = await fn(tx);
        // One round trip: the position moves only from seq - 1 (a concurrent duplicate
        // waits here for the row lock, then finds last_seq moved), and the receipt with it.
        const moved = await ex.query(
          `WITH moved AS (
             UPDATE nodes SET last_seq = $2 WHERE id = $1 AND last_seq = $2 - 1 RETURNING id
           ), receipt AS (
             INSERT INTO sync_receipts (node_id, seq, outcome, applied_at)
             SELECT $1, $2, $3, $4 FROM moved
           )
           SELECT id FROM moved`,
          [nodeId, seq, answer, ts(at)],
        );
        if (moved.length !== 1) throw new NotNextError();
        return value;
      });
      return run.then(
        (value) => ({ applied: true as const, value }),
        (error: unknown) => {
          if (error instanceof NotNextError) return { applied: false as const };
          throw error;
        },
      );
    },

    async receipt(nodeId: string, seq: number): Promise<string | undefined> {
      const [r] = await db.query<{ outcome: string }>(
        'SELECT outcome FROM sync_receipts WHERE node_id = $1 AND seq = $2',
        [nodeId, seq],
      );
      return r?.outcome;
    },

    async countReceipts(): Promise<number> {
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_receipts');
      return row?.n ?? 0;
    },
  };
}
