import fc from 'fast-check';
import { DomainError, ErrorCode, type Clock } from '@clinic/domain';
import { describe, expect, it } from 'vitest';
import {
  LOGIN_RULES,
  addressGroup,
  afterFailure,
  createLoginRateLimiter,
  createMemoryThrottleStore,
  liveState,
  type LoginRateLimiter,
} from './rate-limit';

const MINUTE = 60_000;

function manualClock(start = Date.UTC(2030, 0, 1)) {
  let now = start;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
  return clock;
}

/** Reserves and fails; 'refused' when throttled (with the wait in seconds). */
async function attempt(
  limiter: LoginRateLimiter,
  username: string,
  address: string,
  correct = false,
): Promise<'checked' | { refused: number }> {
  try {
    const a = await limiter.reserve(username, address);
    if (correct) await a.succeeded();
    return 'checked';
  } catch (err) {
    if (err instanceof DomainError && err.code === ErrorCode.RateLimited) {
      return { refused: err.retryAfterSeconds ?? -1 };
    }
    throw err;
  }
}

describe('the throttling rules', () => {
  it('allows `free` failures without a wait, then doubles the wait up to its cap', () => {
    const rule = LOGIN_RULES.account;
    let state = liveState(undefined, rule, 0);
    const waits: number[] = [];
    for (let i = 0; i < 16; i += 1) {
      state = afterFailure(state, rule, 1_000);
      waits.push(state.nextAt === 0 ? 0 : state.nextAt - 1_000);
    }
    expect(waits.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(waits.slice(4, 8)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(Math.max(...waits)).toBe(15 * MINUTE);
  });

  it('forgets a counter idle for a whole window', () => {
    const rule = LOGIN_RULES.username;
    const state = afterFailure(liveState(undefined, rule, 0), rule, 0);
    expect(liveState(state, rule, rule.windowMs - 1).failures).toBe(1);
    expect(liveState(state, rule, rule.windowMs).failures).toBe(0);
  });

  it('keeps an IPv6 client by its /64 and an IPv4-mapped one by its IPv4 address', () => {
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:0db8::7')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(addressGroup('10.0.0.7')).toBe('10.0.0.7');
  });
});

describe('createLoginRateLimiter', () => {
  it('lets no burst of parallel wrong passwords past the limit (reserved before the check)', async () => {
    const limiter = createLoginRateLimiter({ clock: manualClock() });
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () => attempt(limiter, 'nurse.joseph', '10.0.0.9')),
    );
    expect(outcomes.filter((o) => o === 'checked')).toHaveLength(LOGIN_RULES.account.free);
    // The right password at the end of the burst waits too.
    expect(await attempt(limiter, 'nurse.joseph', '10.0.0.9', true)).toEqual({ refused: 1 });
  });

  it('never locks the account for a user at another address', async () => {
    const clock = manualClock();
    const limiter = createLoginRateLimiter({ clock });
    // The attacker waits out every delay: 12 guesses.
    for (let checked = 0; checked < 12;) {
      const outcome = await attempt(limiter, 'dr.amina', '203.0.113.5');
      if (outcome === 'checked') checked += 1;
      else clock.advance(outcome.refused * 1000);
    }
    // After the 12th, the wait has doubled seven times.
    expect(await attempt(limiter, 'dr.amina', '203.0.113.5')).toEqual({ refused: 128 });
    // The clinic's own address is not affected.
    expect(await attempt(limiter, 'dr.amina', '10.0.0.2', true)).toBe('checked');
  });

  it('slows guessing of one username from many addresses, by at most a minute', async () => {
    const limiter = createLoginRateLimiter({ clock: manualClock() });
    for (let i = 0; i < LOGIN_RULES.username.free; i += 1) {
      expect(await attempt(limiter, 'midwife.grace', `198.51.100.${i}`)).toBe('checked');
    }
    const refused = await attempt(limiter, 'midwife.grace', '198.51.100.200');
    expect(refused).toEqual({ refused: 1 });
    const clock = manualClock();
    const capped = createLoginRateLimiter({ clock });
    for (let i = 0; i < 40; i += 1) {
      await attempt(capped, 'midwife.grace', `198.51.100.${i}`);
      clock.advance(2 * MINUTE);
    }
    const wait = await attempt(capped, 'midwife.grace', '198.51.100.250');
    expect(wait === 'checked' || wait.refused <= 60).toBe(true);
  });

  it('slows one address spraying many usernames once it has used its 30 failures', async () => {
    const clock = manualClock();
    const limiter = createLoginRateLimiter({ clock });
    for (let i = 0; i < LOGIN_RULES.address.free; i += 1) {
      expect(await attempt(limiter, `user${i}`, '192.0.2.1')).toBe('checked');
    }
    expect(await attempt(limiter, 'someone-else', '192.0.2.1')).toEqual({ refused: 60 });
    clock.advance(MINUTE);
    expect(await attempt(limiter, 'someone-else', '192.0.2.1')).toBe('checked');
    expect(await attempt(limiter, 'and-another', '192.0.2.1')).toEqual({ refused: 120 });
    // Waiting a wait out never starts the free attempts over: only a day's quiet does.
    clock.advance(2 * MINUTE);
    expect(await attempt(limiter, 'third', '192.0.2.1')).toBe('checked');
    expect(await attempt(limiter, 'fourth', '192.0.2.1')).toEqual({ refused: 240 });
    clock.advance(24 * 60 * MINUTE);
    expect(await attempt(limiter, 'fifth', '192.0.2.1')).toBe('checked');
  });

  it('gives a successful attempt back: the account clears, the address keeps its failures', async () => {
    const limiter = createLoginRateLimiter({ clock: manualClock() });
    for (let i = 0; i < 4; i += 1) await attempt(limiter, 'chw.peter', '10.1.1.1');
    await attempt(limiter, 'chw.peter', '10.1.1.1', true);
    // Five more wrong ones before any wait: the account started over.
    for (let i = 0; i < 4; i += 1)
      expect(await attempt(limiter, 'chw.peter', '10.1.1.1')).toBe('checked');
    // The address spent 8 failures; logins that succeed cost it nothing.
    for (let i = 0; i < 50; i += 1) {
      expect(await attempt(limiter, `ok${i}`, '10.1.1.1', true)).toBe('checked');
    }
    for (let i = 0; i < LOGIN_RULES.address.free - 8; i += 1) {
      expect(await attempt(limiter, `bad${i}`, '10.1.1.1')).toBe('checked');
    }
    expect(await attempt(limiter, 'bad-last', '10.1.1.1')).toMatchObject({ refused: 60 });
  });

  it('compares usernames case-insensitively', async () => {
    const limiter = createLoginRateLimiter({ clock: manualClock() });
    for (const name of ['Admin', 'ADMIN', 'admin', 'aDmIn', 'admiN']) {
      await attempt(limiter, name, '10.0.0.1');
    }
    expect(await attempt(limiter, 'admin', '10.0.0.1')).toEqual({ refused: 1 });
  });

  it('property: whatever the order of parallel attempts and outcomes, no counter passes its limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            user: fc.constantFrom('a', 'b'),
            address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
            right: fc.boolean(),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        async (tries) => {
          const limiter = createLoginRateLimiter({ clock: manualClock() });
          const results = await Promise.all(
            tries.map((t) => attempt(limiter, t.user, t.address, t.right)),
          );
          // Wrong passwords that got checked, per (user, address) and per user.
          const wrong = new Map<string, number>();
          const perUser = new Map<string, number>();
          tries.forEach((t, i) => {
            if (results[i] !== 'checked' || t.right) return;
            const key = `${t.user}|${t.address}`;
            wrong.set(key, (wrong.get(key) ?? 0) + 1);
            perUser.set(t.user, (perUser.get(t.user) ?? 0) + 1);
          });
          // Between two right answers an account may start over, so bound by the rights seen.
          const rights = tries.filter((t, i) => t.right && results[i] === 'checked').length;
          for (const n of wrong.values()) {
            expect(n).toBeLessThanOrEqual(LOGIN_RULES.account.free * (rights + 1));
          }
          if (rights === 0) {
            for (const n of wrong.values()) expect(n).toBeLessThanOrEqual(LOGIN_RULES.account.free);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps memory bounded: the least recently touched counters go first', async () => {
    const store = createMemoryThrottleStore({ maxKeys: 100 });
    const limiter = createLoginRateLimiter({ clock: manualClock(), store });
    for (let i = 0; i < 500; i += 1) await attempt(limiter, `user-${i}`, `10.0.${i % 250}.1`);
    expect(store.size()).toBeLessThanOrEqual(100);
  });
});
