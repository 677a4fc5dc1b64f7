/**
 * Login throttling: failed attempts counted per username (case-insensitive)
 * and, separately, per client address, in a sliding window.
 *
 * The per-username limit stops guessing one account's password from many
 * addresses; the (higher) per-address limit stops one address from spraying
 * many accounts while letting a clinic's staff share one NAT address.
 *
 * Memory is bounded: each key keeps at most `limit` timestamps, expired keys
 * are dropped as time passes, and each table holds at most `maxKeys` keys
 * (the least recently failed ones are evicted first). State is per process.
 */
import { createHash } from 'node:crypto';
import { DomainError, ErrorCode, type Clock } from '@clinic/domain';

/** The message of the RateLimited error. */
export const RATE_LIMITED_MESSAGE = 'Too many login attempts. Try again later.';

// Longer keys are hashed so an attacker cannot fill memory with huge usernames.
const MAX_KEY_LENGTH = 150;

/** Options of {@link createLoginRateLimiter}. */
export interface LoginRateLimiterOptions {
  clock: Clock;
  /** Failures per username within the window before it is blocked. Default 5. */
  maxFailures?: number;
  /** Length of the sliding window, in seconds. Default 900 (15 minutes). */
  windowSeconds?: number;
  /** Failures per client address within the window before it is blocked. Default 30. */
  maxPerAddress?: number;
  /** Most keys kept per table (usernames, addresses). Default 10 000. */
  maxKeys?: number;
}

/** Throttles logins. Create with {@link createLoginRateLimiter}. */
export interface LoginRateLimiter {
  /**
   * Call before checking the password.
   * @param address The client address; `undefined` when unknown (then only the username counts).
   * @throws DomainError(RateLimited) with `retryAfterSeconds` when the username or the address is blocked.
   */
  check(username: string, address: string | undefined): void;
  /** Records a failed login (wrong password or unknown user). */
  recordFailure(username: string, address: string | undefined): void;
  /**
   * Records a successful login: clears the username's failures. The address's
   * failures stay, so one valid account cannot reset an address that is
   * spraying other accounts.
   */
  recordSuccess(username: string, address: string | undefined): void;
  /** Number of keys currently tracked (for monitoring and tests). */
  size(): { usernames: number; addresses: number };
}

/** One table of keys -> recent failure times (epoch ms, oldest first). */
class SlidingWindowLog {
  // Map order is "least recently failed first": every failure re-inserts its key.
  private readonly entries = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Drops keys whose newest failure left the window (they sit at the front of the map). */
  prune(now: number): void {
    for (const [key, times] of this.entries) {
      const newest = times[times.length - 1];
      if (newest !== undefined && newest > now - this.windowMs) break;
      this.entries.delete(key);
    }
  }

  /** Milliseconds until `key` is no longer blocked; 0 when it is not blocked. */
  retryAfterMs(key: string, now: number): number {
    const times = this.entries.get(key);
    if (!times) return 0;
    const live = times.filter((t) => t > now - this.windowMs);
    if (live.length < this.limit) return 0;
    // Blocked until enough of the oldest live failures age out to go below the limit.
    const oldestThatMatters = live[live.length - this.limit] ?? now;
    return Math.min(this.windowMs, oldestThatMatters + this.windowMs - now);
  }

  record(key: string, now: number): void {
    const times = this.entries.get(key) ?? [];
    this.entries.delete(key);
    times.push(now);
    const live = times.filter((t) => t > now - this.windowMs).slice(-this.limit);
    this.entries.set(key, live);
    if (this.entries.size > this.maxKeys) {
      this.prune(now);
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= this.maxKeys) break;
        this.entries.delete(oldest);
      }
    }
  }

  clear(key: string): void {
    this.entries.delete(key);
  }
}

function boundedKey(value: string): string {
  return value.length <= MAX_KEY_LENGTH
    ? value
    : `#${createHash('sha256').update(value).digest('base64url')}`;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer`);
  }
  return value;
}

/**
 * Creates an in-memory login rate limiter.
 *
 * Usernames are compared case-insensitively (`toLowerCase`); pass the username
 * exactly as the login layer looks it up. Addresses are compared as given.
 */
export function createLoginRateLimiter(options: LoginRateLimiterOptions): LoginRateLimiter {
  const { clock } = options;
  const windowMs = positiveInteger('windowSeconds', options.windowSeconds ?? 900) * 1000;
  const maxKeys = positiveInteger('maxKeys', options.maxKeys ?? 10_000);
  const usernames = new SlidingWindowLog(
    positiveInteger('maxFailures', options.maxFailures ?? 5),
    windowMs,
    maxKeys,
  );
  const addresses = new SlidingWindowLog(
    positiveInteger('maxPerAddress', options.maxPerAddress ?? 30),
    windowMs,
    maxKeys,
  );
  const userKey = (username: string): string => boundedKey(username.toLowerCase());

  return {
    check(username, address) {
      const now = clock.now();
      usernames.prune(now);
      addresses.prune(now);
      const waitMs = Math.max(
        usernames.retryAfterMs(userKey(username), now),
        address === undefined ? 0 : addresses.retryAfterMs(boundedKey(address), now),
      );
      if (waitMs > 0) {
        throw new DomainError(ErrorCode.RateLimited, RATE_LIMITED_MESSAGE, {
          retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        });
      }
    },

    recordFailure(username, address) {
      const now = clock.now();
      usernames.prune(now);
      addresses.prune(now);
      usernames.record(userKey(username), now);
      if (address !== undefined) addresses.record(boundedKey(address), now);
    },

    recordSuccess(username) {
      usernames.clear(userKey(username));
    },

    size() {
      return { usernames: usernames.size, addresses: addresses.size };
    },
  };
}
