/**
 * Login throttling through the HTTP app, on every adapter (a clinic node keeps its
 * counters in memory; central in PostgreSQL), and shared by two central "processes" on
 * one PostgreSQL server: attempts are reserved before the password check, so no burst of
 * parallel guesses outruns the limit, and a wrong password from one address never locks
 * the account for the clinic's own address.
 */
import { createLoginRateLimiter, LOGIN_RULES } from '@clinic/auth';
import { DomainError } from '@clinic/domain';
import { createLoginThrottleStore, openPostgresStore } from '@clinic/store-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAdapters, createHarness, PASSWORD, type Harness } from '../support/api-harness';
import { createTestDatabase, testDatabaseUrl } from '../support/postgres';

const ATTACKER = '203.0.113.66';
const CLINIC = '10.20.0.15';

describe.each(apiAdapters())('login throttling on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h?.close();
  });

  const login = (username: string, password: string, address: string) =>
    h.request('POST', '/api/v1/auth/token/', { body: { username, password }, address });

  it('answers at most 5 of 25 parallel wrong passwords with a check; the rest wait (429)', async () => {
    const f = await h.fixtures();
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => login(f.provider.username, 'wrong-password', ATTACKER)),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_RULES.account.free);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25 - LOGIN_RULES.account.free);
    const throttled = answers.find((a) => a.status === 429)!;
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.body.detail).toMatch(/^Request was throttled\./);

    // The right password at the end of the burst, from the attacker's address: it waits too.
    expect((await login(f.provider.username, PASSWORD, ATTACKER)).status).toBe(429);
    // The same staff member at the clinic logs in: no lockout.
    expect((await login(f.provider.username, PASSWORD, CLINIC)).status).toBe(200);
  });

  it('counts unknown usernames like known ones (nothing to learn from the answers)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      statuses.push((await login('nobody-by-this-name', 'x', '198.51.100.7')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('login counters shared by two central processes on one PostgreSQL server', () => {
  const adminUrl = testDatabaseUrl('login throttle');
  it.runIf(adminUrl !== undefined)(
    'lets exactly the limit through whichever process each attempt reaches',
    async () => {
      const db = await createTestDatabase(adminUrl!);
      // Two stores = two connection pools, as two processes would have.
      const [a, b] = await Promise.all([
        openPostgresStore({ connectionString: db.url }),
        openPostgresStore({ connectionString: db.url }),
      ]);
      try {
        const clock = { now: () => Date.UTC(2030, 0, 1) };
        const limiters = [a, b].map((s) =>
          createLoginRateLimiter({ clock, store: createLoginThrottleStore(s.db, clock.now) }),
        );
        const outcomes = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            limiters[i % 2]!.reserve('shared.user', '192.0.2.50').then(
              () => 'checked',
              (err: unknown) => (err instanceof DomainError ? err.code : 'error'),
            ),
          ),
        );
        expect(outcomes.filter((o) => o === 'checked')).toHaveLength(LOGIN_RULES.account.free);
        expect(outcomes.filter((o) => o === 'auth.rate_limited')).toHaveLength(
          30 - LOGIN_RULES.account.free,
        );
      } finally {
        await Promise.all([a.close(), b.close()]);
        await db.drop();
      }
    },
  );
});
