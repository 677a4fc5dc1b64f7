/** Tests of login throttling with an injected clock. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError, ErrorCode, type Clock } from '@clinic/domain';
import { createLoginRateLimiter, RATE_LIMITED_MESSAGE, type LoginRateLimiter } from './rate-limit';

function testClock(): Clock & { advance(seconds: number): void } {
  let now = Date.UTC(2025, 0, 6, 8, 0, 0);
  return {
    now: () => now,
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

/** The retryAfterSeconds of the RateLimited error `check` throws, or undefined when allowed. */
function blockedFor(
  limiter: LoginRateLimiter,
  username: string,
  address?: string,
): number | undefined {
  try {
    limiter.check(username, address);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.RateLimited);
    expect((error as DomainError).message).toBe(RATE_LIMITED_MESSAGE);
    return (error as DomainError).retryAfterSeconds;
  }
}

function fail(limiter: LoginRateLimiter, times: number, username: string, address?: string): void {
  for (let i = 0; i < times; i++) limiter.recordFailure(username, address);
}

describe('createLoginRateLimiter', () => {
  it('blocks a username after maxFailures, from any address, case-insensitively', () => {
    const limiter = createLoginRateLimiter({ clock: testClock() });
    fail(limiter, 4, 'Alice', '10.0.0.1');
    expect(blockedFor(limiter, 'alice', '10.0.0.1')).toBeUndefined();
    limiter.recordFailure('ALICE', '10.0.0.2');
    expect(blockedFor(limiter, 'alice', '10.0.0.1')).toBe(900);
    expect(blockedFor(limiter, 'Alice', '10.9.9.9')).toBe(900);
    expect(blockedFor(limiter, 'alice', undefined)).toBe(900);
    expect(blockedFor(limiter, 'bob', '10.0.0.1')).toBeUndefined();
  });

  it('blocks an address after maxPerAddress failures across usernames', () => {
    const limiter = createLoginRateLimiter({ clock: testClock() });
    for (let i = 0; i < 29; i++) limiter.recordFailure(`user${i}`, '192.0.2.7');
    expect(blockedFor(limiter, 'fresh', '192.0.2.7')).toBeUndefined();
    limiter.recordFailure('user29', '192.0.2.7');
    expect(blockedFor(limiter, 'fresh', '192.0.2.7')).toBe(900);
    expect(blockedFor(limiter, 'fresh', '192.0.2.8')).toBeUndefined();
    expect(blockedFor(limiter, 'fresh', undefined)).toBeUndefined();
  });

  it('slides the window: old failures age out one by one', () => {
    const clock = testClock();
    const limiter = createLoginRateLimiter({ clock });
    for (let i = 0; i < 5; i++) {
      limiter.recordFailure('carol', 'a');
      clock.advance(60);
    }
    // Failures at 0, 60, ..., 240 s; now 300 s. The first ages out at 900 s.
    expect(blockedFor(limiter, 'carol', 'a')).toBe(600);
    clock.advance(599);
    expect(blockedFor(limiter, 'carol', 'a')).toBe(1);
    clock.advance(1);
    expect(blockedFor(limiter, 'carol', 'a')).toBeUndefined();
    // One more failure brings it back to five in the window.
    limiter.recordFailure('carol', 'a');
    expect(blockedFor(limiter, 'carol', 'a')).toBe(60);
  });

  it('unblocks after the window', () => {
    const clock = testClock();
    const limiter = createLoginRateLimiter({ clock, maxFailures: 3, windowSeconds: 60 });
    fail(limiter, 3, 'dave', 'b');
    expect(blockedFor(limiter, 'dave', 'b')).toBe(60);
    clock.advance(59.5);
    expect(blockedFor(limiter, 'dave', 'b')).toBe(1);
    clock.advance(0.5);
    expect(blockedFor(limiter, 'dave', 'b')).toBeUndefined();
  });

  it("success clears the username's failures but not the address's", () => {
    const limiter = createLoginRateLimiter({ clock: testClock(), maxPerAddress: 6 });
    fail(limiter, 4, 'erin', 'c');
    limiter.recordSuccess('ERIN', 'c');
    fail(limiter, 2, 'erin', 'c');
    expect(blockedFor(limiter, 'erin', 'c')).toBe(900); // the address: 6 failures
    expect(blockedFor(limiter, 'erin', 'd')).toBeUndefined(); // the username: only 2
  });

  it('reports the longer wait when both username and address are blocked', () => {
    const clock = testClock();
    const limiter = createLoginRateLimiter({ clock, maxFailures: 2, maxPerAddress: 3 });
    fail(limiter, 1, 'x', 'e');
    clock.advance(100);
    fail(limiter, 2, 'frank', 'e');
    expect(blockedFor(limiter, 'frank', 'e')).toBe(900);
    expect(blockedFor(limiter, 'someone', 'e')).toBe(800);
  });

  it('keeps memory bounded: caps keys and forgets expired ones', () => {
    const clock = testClock();
    const limiter = createLoginRateLimiter({ clock, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`spray${i}`, `198.51.100.${i % 250}`);
    expect(limiter.size().usernames).toBe(100);
    expect(limiter.size().addresses).toBe(100);
    // The most recent keys survive eviction.
    fail(limiter, 4, 'spray999', undefined);
    expect(blockedFor(limiter, 'spray999')).toBe(900);

    clock.advance(900);
    limiter.check('anyone', 'anywhere');
    expect(limiter.size()).toEqual({ usernames: 0, addresses: 0 });

    // Huge usernames are stored as hashes, still case-insensitively.
    fail(limiter, 5, 'Z'.repeat(100_000), undefined);
    expect(blockedFor(limiter, 'z'.repeat(100_000))).toBe(900);
    expect(blockedFor(limiter, 'z'.repeat(99_999))).toBeUndefined();
  });

  it('refuses nonsensical options', () => {
    const clock = testClock();
    expect(() => createLoginRateLimiter({ clock, maxFailures: 0 })).toThrow(TypeError);
    expect(() => createLoginRateLimiter({ clock, windowSeconds: -1 })).toThrow(TypeError);
    expect(() => createLoginRateLimiter({ clock, maxPerAddress: 1.5 })).toThrow(TypeError);
  });

  it('property: blocks exactly when the last window holds maxFailures failures', () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('fail' as const), user: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('succeed' as const), user: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        let now = 0;
        const clock: Clock = { now: () => now };
        const limiter = createLoginRateLimiter({ clock, maxFailures: 3, windowSeconds: 600 });
        const model: number[][] = [[], [], []];
        for (const step of actions) {
          if (step.kind === 'wait') now += step.ms;
          else if (step.kind === 'succeed') {
            limiter.recordSuccess(`u${step.user}`, undefined);
            model[step.user] = [];
          } else {
            limiter.recordFailure(`U${step.user}`, undefined);
            model[step.user]!.push(now);
          }
          for (let u = 0; u < 3; u++) {
            const live = model[u]!.filter((t) => t > now - 600_000);
            const expected =
              live.length >= 3
                ? Math.ceil((live[live.length - 3]! + 600_000 - now) / 1000)
                : undefined;
            expect(blockedFor(limiter, `u${u}`)).toBe(expected === 0 ? 1 : expected);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
