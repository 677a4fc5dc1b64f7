/** Property tests of the retry delays: bounded, jittered, growing. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from './backoff';

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const policy = fc.record({
  baseMs: fc.integer({ min: 1, max: 120_000 }),
  capMs: fc.integer({ min: 1, max: 3_600_000 }),
});

describe('retryDelayMs', () => {
  it('doubles from 10 s with ±20 % jitter', () => {
    expect(retryDelayMs(1, {}, () => 0.5)).toBe(10_000);
    expect(retryDelayMs(2, {}, () => 0.5)).toBe(20_000);
    expect(retryDelayMs(3, {}, () => 0.5)).toBe(40_000);
    expect(retryDelayMs(1, {}, () => 0)).toBe(8_000);
    expect(retryDelayMs(1, {}, () => 0.999999)).toBeCloseTo(12_000, -1);
    expect(retryDelayMs(20, {}, () => 0.5)).toBe(DEFAULT_RETRY_POLICY.capMs);
    expect(DEFAULT_RETRY_POLICY).toEqual({ baseMs: 10_000, capMs: 600_000, maxAttempts: 8 });
  });

  it('waits at most 30 s before the first retry, whatever the policy', () => {
    fc.assert(
      fc.property(policy, unit, (p, r) => {
        const delay = retryDelayMs(1, p, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(30_000);
      }),
    );
    fc.assert(
      fc.property(unit, (r) => {
        expect(retryDelayMs(1, {}, () => r)).toBeLessThanOrEqual(30_000);
      }),
    );
  });

  it('never goes above the cap, for any attempt count', () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: -5, max: 10_000 }), unit, (p, n, r) => {
        const delay = retryDelayMs(n, p, () => r);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(p.capMs);
      }),
    );
  });

  it('grows with each attempt until the cap, whatever the jitter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), unit, unit, (n, r1, r2) => {
        const base = DEFAULT_RETRY_POLICY.baseMs;
        const cap = DEFAULT_RETRY_POLICY.capMs;
        fc.pre(base * 2 ** n <= cap);
        expect(retryDelayMs(n + 1, {}, () => r2)).toBeGreaterThan(retryDelayMs(n, {}, () => r1));
      }),
    );
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 40 }), unit, (p, n, r) => {
        // With the same jitter it never shrinks, even past the cap.
        expect(retryDelayMs(n + 1, p, () => r)).toBeGreaterThanOrEqual(retryDelayMs(n, p, () => r));
      }),
    );
  });

  it('spreads retries: the jitter uses the whole ±20 % band', () => {
    const delays = [0, 0.25, 0.5, 0.75, 0.999].map((r) => retryDelayMs(4, {}, () => r));
    expect(Math.min(...delays)).toBe(64_000);
    expect(Math.max(...delays)).toBeGreaterThan(95_000);
    expect(new Set(delays).size).toBe(5);
  });
});
