/**
 * The raw per-row baseline of the sync benchmark, on the SAME database central just
 * served (PGlite: the same data directory, opened after central stopped; PostgreSQL: the
 * same database, one pg connection): one appointment per transaction,
 *
 *   BEGIN; the adapter's own overlap SELECT (OVERLAP_SQL, imported); INSERT of the
 *   appointment row (every column a parameter, as the adapter writes it); COMMIT;
 *
 * on free evening slots of the node's providers and patients, on days no other stream
 * used, so each overlap window still covers that day's seeded visits. The change-log
 * triggers fire as they do for central. What the reconciler does besides (node lock,
 * reference reads, receipt, conflict upserts, re-check, HTTP, JSON) is what the ratio
 * measures.
 */
import { createUuidV7Generator, MAX_DURATION_MS } from '@clinic/domain';
import { OVERLAP_SQL, overlapParams } from '../../packages/store-postgres/src/overlap-query';
import { bookingRow } from './booking-row';
import { log } from './log';
import { pgInsertStatement } from './pg-bulk';
import { runRawLoop, type RawResult } from './raw-loop';
import type { CentralDb } from './sync-central-db';
import type { EveningSlots } from './sync-mutations';

export interface RawPerRowResult extends RawResult {
  database: string;
  /** Rows the overlap SELECT returned per transaction, on average. */
  overlapRowsPerTx: number;
  sql: string[];
}

export async function benchRawPerRow(
  db: CentralDb,
  slots: EveningSlots,
  warmupMs: number,
  measureMs: number,
): Promise<RawPerRowResult> {
  const scope = `raw ${db.kind}`;
  const raw = await db.openRaw();
  try {
    const ids = createUuidV7Generator({ now: () => Date.now() });
    const insert = await pgInsertStatement(raw, 'appointments', 1);
    let overlapRows = 0;
    let transactions = 0;
    const book = async () => {
      const slot = slots.next();
      const booking = {
        ...slot,
        appointment_type: 'consultation' as const,
        reason: 'Raw baseline booking',
      };
      await raw.transaction(async (tx) => {
        const found = await tx.query(
          OVERLAP_SQL,
          overlapParams({ ...booking, maxDurationMs: MAX_DURATION_MS }),
        );
        overlapRows += found.rows.length;
        const row = bookingRow(booking, ids, Date.now(), 'raw-sync-bench');
        await tx.query(insert.sql, insert.values([row]));
      });
      transactions += 1;
    };
    log(scope, `${warmupMs / 1000}s warm-up + ${measureMs / 1000}s measured, one connection`);
    const result = await runRawLoop(book, warmupMs, measureMs);
    log(
      scope,
      `${result.txPerSec.toFixed(0)} tx/s (${result.transactions} measured, ${result.errors} errors)`,
    );
    return {
      ...result,
      database: db.label,
      overlapRowsPerTx: transactions ? overlapRows / transactions : 0,
      sql: [
        'BEGIN',
        'OVERLAP_SQL (packages/store-postgres/src/overlap-query.ts)',
        'INSERT INTO appointments (…) VALUES (…)',
        'COMMIT',
      ],
    };
  } finally {
    await raw.close();
  }
}
