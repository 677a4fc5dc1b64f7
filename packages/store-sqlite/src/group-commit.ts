/**
 * Group commit for the one writer connection: every write() queued when the writer gets
 * its turn (up to MAX_GROUP) runs in ONE SQLite transaction and shares ONE COMMIT, so
 * one fsync (synchronous=FULL) covers many bookings instead of one.
 *
 * Each write still behaves as its own transaction:
 * - it runs alone and in order (the next starts when the previous settled), so it sees
 *   the writes before it, exactly as serial transactions would;
 * - it runs inside its own SAVEPOINT: when it throws, its changes are rolled back to the
 *   savepoint and it is rejected at once (it wrote nothing), without touching the others;
 * - when it succeeds, it is resolved only AFTER the shared COMMIT returned, so an answer
 *   that says "saved" is on disk. If the COMMIT fails, every write of the group is
 *   rejected with that error and nothing of the group is stored.
 * If SQLite aborts the whole transaction by itself (SQLITE_FULL, SQLITE_IOERR, …), the
 * writes that had succeeded in the group are rejected with that error too.
 */

/** The most writes that share one COMMIT (bounds the latency the first one waits). */
export const MAX_GROUP = 32;

export interface GroupConnection {
  run(sql: string): void;
  readonly inTransaction: boolean;
}

export interface Job<T = unknown> {
  run(): Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Runs queued jobs as one group. `take()` hands out the next job or undefined; the caller
 * holds the writer (the mutex) for the whole call. Every job taken is settled exactly
 * once, whatever happens. If BEGIN itself fails (e.g. another process holds the write
 * lock past busy_timeout), no job was taken and the error is thrown to the caller.
 */
export async function runGroup(db: GroupConnection, take: () => Job | undefined): Promise<void> {
  db.run('BEGIN IMMEDIATE');
  const done: { job: Job; value: unknown }[] = [];
  let current: Job | undefined;
  try {
    for (let count = 0; count < MAX_GROUP; count += 1) {
      current = take();
      if (current === undefined) break;
      db.run('SAVEPOINT w');
      let value: unknown;
      try {
        value = await current.run();
      } catch (error) {
        if (!db.inTransaction) throw error; // SQLite dropped the whole transaction
        db.run('ROLLBACK TO w');
        db.run('RELEASE w');
        current.reject(error);
        current = undefined;
        continue;
      }
      db.run('RELEASE w');
      done.push({ job: current, value });
      current = undefined;
    }
    db.run('COMMIT');
  } catch (error) {
    // Nothing of this group is stored: refuse every write that had not been answered.
    if (db.inTransaction) db.run('ROLLBACK');
    current?.reject(error);
    for (const d of done) d.job.reject(error);
    return;
  }
  for (const d of done) d.job.resolve(d.value);
}
