/**
 * What a login costs, by how it ends (issue 11, items 1 and 9): every failure must cost
 * the same (one scrypt derivation), so its time tells nothing about the account; a
 * throttled attempt (429) costs almost nothing; and what the throttle's atomic
 * reservation adds, with the counters in memory (a clinic node) and in PGlite (central).
 *
 *   npx tsx bench/login.ts [--runs N]
 *
 * In process through the real HTTP app (`app.request`), one request at a time, each case
 * interleaved with the others so machine noise spreads evenly. Writes
 * bench/results/login.json.
 */
import { silentLogger } from '@clinic/api';
import { createLoginRateLimiter, hashPassword } from '@clinic/auth';
import { createNodeRuntime, ensureAdmin } from '@clinic/server';
import { openSqliteStore } from '@clinic/store-sqlite';
import { createLoginThrottleStore, openPgliteStore } from '@clinic/store-postgres';
import { join } from 'node:path';
import { cleanupAll, installCleanupHandlers, makeTempDir } from './lib/cleanup';
import { benchCommand, runBench, writeResults } from './lib/entry';
import { machineInfo } from './lib/report';
import { summarize } from './lib/stats';

const args = process.argv.slice(2);
const runsFlag = args.indexOf('--runs');
const RUNS = runsFlag === -1 ? 40 : Number(args[runsFlag + 1]);

async function main(): Promise<number> {
  const started = performance.now();
  console.log(`# ${benchCommand('bench:login', 'bench/login.ts', args)}`);
  const dir = makeTempDir('bench-login');
  const store = openSqliteStore({ file: join(dir, 'clinic.db') });
  let clock = Date.UTC(2030, 0, 1);
  const runtime = await createNodeRuntime({
    role: 'edge',
    store,
    dataDir: dir,
    logger: silentLogger(),
    version: 'bench',
    // Each request comes an hour after the last: no throttling unless a case asks for it.
    clock: { now: () => clock },
  });
  const user = { username: 'bench.user', password: 'right-password-1' };
  await ensureAdmin(runtime.directory, user.username, user.password);
  const hash = await hashPassword('right-password-1');
  const inactive = await runtime.directory.users.create({
    username: 'bench.inactive',
    password_hash: hash,
    role: 'provider',
    user_type: 'nurse',
    first_name: 'In',
    last_name: 'Active',
    email: '',
    phone_number: '',
    facilities: [],
    is_active: false,
  });
  // An account without a password hash, as a copy of a central user may be on a node.
  await runtime.directory.users.create({
    username: 'bench.nopassword',
    password_hash: '',
    role: 'provider',
    user_type: 'nurse',
    first_name: 'No',
    last_name: 'Password',
    email: '',
    phone_number: '',
    facilities: [],
    is_active: true,
  });

  const login = async (username: string, password: string, address: string) => {
    clock += 3_600_000;
    const t = performance.now();
    const res = await runtime.app.request(
      'http://bench.test/api/v1/auth/token/',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      },
      { incoming: { socket: { remoteAddress: address } } },
    );
    await res.arrayBuffer();
    return { ms: performance.now() - t, status: res.status };
  };

  const cases: Record<string, () => Promise<{ ms: number; status: number }>> = {
    'success (200)': () => login(user.username, user.password, '10.0.0.1'),
    'wrong password (401)': () => login(user.username, 'wrong', '10.0.0.2'),
    'unknown user (401)': () => login('nobody.here', 'wrong', '10.0.0.3'),
    'user without a password (401)': () => login('bench.nopassword', 'x', '10.0.0.4'),
    'inactive user (401)': () => login(inactive.username, 'right-password-1', '10.0.0.5'),
  };
  const samples = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i += 1) {
    for (const [name, run] of Object.entries(cases)) {
      const r = await run();
      samples.get(name)!.push(r.ms);
    }
  }
  // Throttled: the same address and account, no time passing.
  const throttled: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    await runtime.app.request(
      'http://bench.test/api/v1/auth/token/',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'victim', password: 'guess' }),
      },
      { incoming: { socket: { remoteAddress: '192.0.2.9' } } },
    );
  }
  for (let i = 0; i < RUNS; i += 1) {
    const t = performance.now();
    const res = await runtime.app.request(
      'http://bench.test/api/v1/auth/token/',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'victim', password: 'guess' }),
      },
      { incoming: { socket: { remoteAddress: '192.0.2.9' } } },
    );
    await res.arrayBuffer();
    if (res.status !== 429) throw new Error(`expected 429, got ${res.status}`);
    throttled.push(performance.now() - t);
  }
  await store.close();

  // The reservation alone, memory vs PGlite (central's table), 1,000 distinct users.
  const pglite = await openPgliteStore();
  const now = { now: () => Date.UTC(2030, 0, 1) };
  const reserveCost = async (limiter: ReturnType<typeof createLoginRateLimiter>) => {
    const t = performance.now();
    for (let i = 0; i < 1_000; i += 1) await limiter.reserve(`user-${i}`, `10.9.${i % 200}.1`);
    return (performance.now() - t) / 1_000;
  };
  const memoryMs = await reserveCost(createLoginRateLimiter({ clock: now }));
  const pgliteMs = await reserveCost(
    createLoginRateLimiter({ clock: now, store: createLoginThrottleStore(pglite.db, now.now) }),
  );
  await pglite.close();
  const scryptMs = await (async () => {
    const t = performance.now();
    for (let i = 0; i < 10; i += 1) await hashPassword('x');
    return (performance.now() - t) / 10;
  })();

  const rows = [...samples].map(([name, s]) => ({ name, ...summarize(s) }));
  rows.push({ name: 'throttled (429)', ...summarize(throttled) });
  const base = rows.find((r) => r.name === 'wrong password (401)')!.p50Ms;
  console.log('\ncase                              p50 ms   p90 ms   vs wrong password');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(32)} ${r.p50Ms.toFixed(1).padStart(7)} ${r.p90Ms.toFixed(1).padStart(8)}   ${(r.p50Ms / base).toFixed(2)}x`,
    );
  }
  console.log(
    `\nreservation per attempt: memory ${(memoryMs * 1000).toFixed(0)} µs, PGlite ${pgliteMs.toFixed(2)} ms` +
      ` (one scrypt derivation: ${scryptMs.toFixed(1)} ms, so PGlite adds ${((pgliteMs / scryptMs) * 100).toFixed(0)}%)`,
  );
  writeResults(
    'login.json',
    {
      command: benchCommand('bench:login', 'bench/login.ts', args),
      machine: machineInfo(),
      runs: RUNS,
      cases: rows,
      reserveMs: { memory: memoryMs, pglite: pgliteMs },
      scryptMs,
    },
    (performance.now() - started) / 1000,
  );
  await cleanupAll();
  return 0;
}

installCleanupHandlers();
runBench('bench/login.ts', main, cleanupAll);
