import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MAX_GROUP, runGroup, type Job } from './group-commit';

function setup() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER PRIMARY KEY)');
  const statements: string[] = [];
  const conn = {
    run: (sql: string) => {
      statements.push(sql);
      db.exec(sql);
    },
    get inTransaction() {
      return db.inTransaction;
    },
  };
  const rows = () =>
    (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v);
  return { db, conn, statements, rows };
}

function job(run: () => Promise<unknown>) {
  const outcome: { value?: unknown; error?: unknown; settled: number } = { settled: 0 };
  const j: Job = {
    run,
    resolve: (v) => {
      outcome.value = v;
      outcome.settled += 1;
    },
    reject: (e) => {
      outcome.error = e;
      outcome.settled += 1;
    },
  };
  return { j, outcome };
}

const queue = (jobs: Job[]) => () => jobs.shift();

describe('group commit', () => {
  it('commits the successful writes once, rolls back only the failing one', async () => {
    const { db, conn, statements, rows } = setup();
    const a = job(async () => db.exec('INSERT INTO t VALUES (1)'));
    const b = job(async () => {
      db.exec('INSERT INTO t VALUES (2)');
      throw new Error('refused');
    });
    const c = job(async () => {
      db.exec('INSERT INTO t VALUES (3)');
      return 'ok';
    });
    await runGroup(conn, queue([a.j, b.j, c.j]));
    expect(rows()).toEqual([1, 3]);
    expect((b.outcome.error as Error).message).toBe('refused');
    expect(c.outcome.value).toBe('ok');
    expect([a, b, c].map((x) => x.outcome.settled)).toEqual([1, 1, 1]);
    expect(statements.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });

  it('answers a successful write only after COMMIT', async () => {
    const { db, conn } = setup();
    const seen: boolean[] = [];
    const a = job(async () => db.exec('INSERT INTO t VALUES (1)'));
    a.j.resolve = () => seen.push(db.inTransaction);
    await runGroup(conn, queue([a.j]));
    expect(seen).toEqual([false]);
  });

  it('refuses every write of the group when COMMIT fails, and stores nothing', async () => {
    const { db, rows } = setup();
    const conn = {
      run: (sql: string) => {
        if (sql === 'COMMIT') throw new Error('disk I/O error');
        db.exec(sql);
      },
      get inTransaction() {
        return db.inTransaction;
      },
    };
    const a = job(async () => db.exec('INSERT INTO t VALUES (1)'));
    const b = job(async () => db.exec('INSERT INTO t VALUES (2)'));
    await runGroup(conn, queue([a.j, b.j]));
    expect(rows()).toEqual([]);
    expect((a.outcome.error as Error).message).toBe('disk I/O error');
    expect((b.outcome.error as Error).message).toBe('disk I/O error');
    expect(db.inTransaction).toBe(false);
  });

  it('refuses the whole group when SQLite drops the transaction by itself', async () => {
    const { db, conn, rows } = setup();
    const a = job(async () => db.exec('INSERT INTO t VALUES (1)'));
    const b = job(async () => {
      db.exec('ROLLBACK'); // what SQLITE_FULL does behind our back
      throw new Error('database or disk is full');
    });
    const c = job(async () => db.exec('INSERT INTO t VALUES (3)'));
    const jobs = [a.j, b.j, c.j];
    await runGroup(conn, queue(jobs));
    expect(rows()).toEqual([]);
    expect((a.outcome.error as Error).message).toMatch(/full/);
    expect((b.outcome.error as Error).message).toMatch(/full/);
    expect(c.outcome.settled).toBe(0); // not taken: it waits for the next group
    expect(jobs).toEqual([c.j]);
  });

  it('takes at most MAX_GROUP writes into one group', async () => {
    const { db, conn, rows } = setup();
    const jobs = Array.from(
      { length: MAX_GROUP + 5 },
      (_, i) => job(async () => db.exec(`INSERT INTO t VALUES (${i})`)).j,
    );
    await runGroup(conn, queue(jobs));
    expect(rows()).toHaveLength(MAX_GROUP);
    expect(jobs).toHaveLength(5);
  });
});
