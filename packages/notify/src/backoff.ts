/**
 * When to try a failed delivery again: exponential from `baseMs` (10 s, 20 s, 40 s, ...) with
 * ±20 % jitter so that many queued messages do not retry in lockstep, capped at `capMs`.
 */

export interface RetryPolicy {
  /** The delay before the first retry, before jitter. */
  baseMs: number;
  /** No delay is ever longer. */
  capMs: number;
  /** Attempts before a notification goes to the dead letter (`failed`). */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseMs: 10_000,
  capMs: 600_000,
  maxAttempts: 8,
});

/** ±20 %. */
const JITTER = 0.2;
/** The first retry never waits longer than this, whatever the policy says. */
const FIRST_RETRY_MAX_MS = 30_000;

/**
 * The delay after the `attempts`-th failed attempt (1 for the first failure). `random` returns
 * a number in [0, 1), as Math.random does; inject it to make the jitter deterministic.
 */
export function retryDelayMs(
  attempts: number,
  policy: { baseMs?: number; capMs?: number } = {},
  random: () => number = Math.random,
): number {
  const base = Math.max(0, policy.baseMs ?? DEFAULT_RETRY_POLICY.baseMs);
  const cap = Math.max(0, policy.capMs ?? DEFAULT_RETRY_POLICY.capMs);
  const n = Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : 1;
  // 2^(n-1) overflows to Infinity past ~1024, which the cap absorbs.
  const nominal = Math.min(cap, base * 2 ** (n - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = nominal * (1 - JITTER + 2 * JITTER * r);
  const ceiling = n === 1 ? Math.min(cap, FIRST_RETRY_MAX_MS) : cap;
  return Math.round(Math.min(ceiling, Math.max(0, jittered)));
}
