/**
 * Login throttling that limits guessing without handing anyone a lockout.
 *
 * Each login attempt is RESERVED before the password is checked, in one atomic step
 * over three counters, so no interleaving of parallel requests gets more attempts than
 * the rules allow; a failed check keeps its reservation, a successful one gives it back.
 *
 * | counter                        | free failures | then                                      |
 * | ------------------------------ | ------------- | ----------------------------------------- |
 * | username + client address      | 5             | waits doubling from 1 s, at most 15 min   |
 * | username, from every address   | 20            | waits doubling from 1 s, at most 60 s     |
 * | client address, every username | 30            | waits doubling from 1 min, at most 1 h    |
 *
 * Why this shape: a wrong password from one address slows only that address's attempts
 * on that account, so nobody can lock a staff member out by typing their username (the
 * old scheme locked the account for 15 minutes after 5 failures from anywhere). Guessing
 * from many addresses meets the per-username wait, which stays short (60 s) for the
 * same reason; one address spraying many usernames meets its own. A wait is counted from
 * the last failure; a counter is forgotten after a day without one (longer than any wait,
 * so waiting one out never starts the free attempts over). In the long run that allows
 * about 100 guesses a day at one account from one address, about one a minute from many,
 * and about 24 a day from one address over all accounts.
 *
 * The counters live in a {@link ThrottleStore}: in memory on a clinic node (one process),
 * in PostgreSQL on central, where several central processes share them. Keys are
 * SHA-256 digests, so the store holds no username or address in clear.
 */
import { createHash } from 'node:crypto';
import { DomainError, ErrorCode, type Clock } from '@clinic/domain';

/** The message of the RateLimited error. */
export const RATE_LIMITED_MESSAGE = 'Too many login attempts. Try again later.';

/** A counter's state: failures in the current window, the last one, and the next allowed attempt. */
export interface ThrottleState {
  failures: number;
  /** Epoch ms of the last counted attempt. */
  lastAt: number;
  /** Epoch ms before which no attempt is allowed (0: none pending). */
  nextAt: number;
}

/** What one atomic step writes back: a new state per key, or null to forget the key. */
export type ThrottleWrites = Map<string, ThrottleState | null>;

/**
 * Where the counters live. `update` reads the states of `keys` (absent keys are missing
 * from the map), lets `decide` compute what to write, and writes it, as ONE atomic step:
 * concurrent updates of overlapping keys, from this process or any other sharing the
 * store, run one after the other. `decide` is synchronous and pure.
 */
export interface ThrottleStore {
  update<R>(
    keys: readonly string[],
    decide: (states: ReadonlyMap<string, ThrottleState>) => { writes: ThrottleWrites; result: R },
  ): Promise<R>;
}

/** One counter's rule. */
export interface ThrottleRule {
  /** Failures allowed without any wait. */
  free: number;
  /** The wait after the `free`-th failure; it doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A counter with no failure for this long starts over. */
  windowMs: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The rules of the table above. */
export const LOGIN_RULES = {
  account: { free: 5, baseDelayMs: 1_000, maxDelayMs: 15 * MINUTE, windowMs: DAY },
  username: { free: 20, baseDelayMs: 1_000, maxDelayMs: MINUTE, windowMs: DAY },
  address: { free: 30, baseDelayMs: MINUTE, maxDelayMs: 60 * MINUTE, windowMs: DAY },
} as const satisfies Record<string, ThrottleRule>;
export type LoginRules = Record<keyof typeof LOGIN_RULES, ThrottleRule>;

const FRESH: ThrottleState = { failures: 0, lastAt: 0, nextAt: 0 };

/** The state as it stands at `now`: a counter idle for a whole window starts over. */
export function liveState(
  state: ThrottleState | undefined,
  rule: ThrottleRule,
  now: number,
): ThrottleState {
  if (!state || (now - state.lastAt >= rule.windowMs && state.nextAt <= now)) return FRESH;
  return state;
}

/** The state after counting one more failed attempt at `now`. */
export function afterFailure(state: ThrottleState, rule: ThrottleRule, now: number): ThrottleState {
  const failures = state.failures + 1;
  const over = failures - rule.free; // >= 0: this attempt used the last free one, or more
  const delay =
    over < 0 ? 0 : Math.min(rule.maxDelayMs, rule.baseDelayMs * 2 ** Math.min(over, 40));
  return { failures, lastAt: now, nextAt: delay === 0 ? 0 : now + delay };
}

/** The state after giving back one reserved attempt (the login succeeded). */
export function afterRefund(state: ThrottleState, rule: ThrottleRule): ThrottleState | null {
  const failures = state.failures - 1;
  if (failures <= 0) return null;
  return { ...state, failures, nextAt: failures < rule.free ? 0 : state.nextAt };
}

/** A reserved attempt: tell it how the password check went. */
export interface LoginAttempt {
  /** The password was right: the account's counters clear, the address's attempt is given back. */
  succeeded(): Promise<void>;
}

/** Throttles logins. Create with {@link createLoginRateLimiter}. */
export interface LoginRateLimiter {
  /**
   * Counts one attempt for `username` from `address` (when known), before the password
   * is checked; call `succeeded()` on the result if it was right.
   * @throws DomainError(RateLimited) with `retryAfterSeconds` while any counter must wait;
   *   such a refusal counts nothing.
   */
  reserve(username: string, address: string | undefined): Promise<LoginAttempt>;
}

/**
 * The address a counter is kept for: an IPv4 address as it is (IPv4-mapped IPv6 too);
 * an IPv6 address by its /64 network, since one host may hold a whole /64.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function digest(kind: string, value: string): string {
  return createHash('sha256').update(`${kind}\u0000${value}`).digest('base64url');
}

/**
 * Creates a limiter over `store` (default: in memory). Usernames are compared
 * case-insensitively (`toLowerCase`); addresses as given.
 */
export function createLoginRateLimiter(options: {
  clock: Clock;
  store?: ThrottleStore;
  rules?: Partial<LoginRules>;
}): LoginRateLimiter {
  const { clock } = options;
  const store = options.store ?? createMemoryThrottleStore();
  const rules: LoginRules = { ...LOGIN_RULES, ...options.rules };

  return {
    async reserve(username, address) {
      const user = username.toLowerCase();
      const group = address === undefined ? undefined : addressGroup(address);
      const counters: [string, ThrottleRule][] = [
        [digest('username', user), rules.username],
        ...(group === undefined
          ? []
          : ([
              [digest('account', `${user}\u0000${group}`), rules.account],
              [digest('address', group), rules.address],
            ] as [string, ThrottleRule][])),
      ];
      const keys = counters.map(([key]) => key);
      const now = clock.now();
      const waitMs = await store.update(keys, (states) => {
        const live = counters.map(([key, rule]) => liveState(states.get(key), rule, now));
        const wait = Math.max(0, ...live.map((s) => s.nextAt - now));
        const writes: ThrottleWrites = new Map();
        if (wait === 0) {
          counters.forEach(([key, rule], i) => writes.set(key, afterFailure(live[i]!, rule, now)));
        }
        return { writes, result: wait };
      });
      if (waitMs > 0) {
        throw new DomainError(ErrorCode.RateLimited, RATE_LIMITED_MESSAGE, {
          retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        });
      }
      return {
        async succeeded() {
          await store.update(keys, (states) => {
            const writes: ThrottleWrites = new Map();
            for (const [key, rule] of counters) {
              const state = states.get(key);
              // The account's counters clear; the address keeps what it spent on others.
              if (rule === rules.address) writes.set(key, state ? afterRefund(state, rule) : null);
              else writes.set(key, null);
            }
            return { writes, result: undefined };
          });
        },
      };
    },
  };
}

/**
 * Counters in this process's memory, for a clinic node (one process) and tests. At most
 * `maxKeys` are kept; beyond that, the least recently touched are forgotten first.
 */
export function createMemoryThrottleStore(options: { maxKeys?: number } = {}): ThrottleStore & {
  size(): number;
} {
  const maxKeys = options.maxKeys ?? 10_000;
  // Map order is "least recently written first": every write re-inserts its key.
  const states = new Map<string, ThrottleState>();
  return {
    update(keys, decide) {
      // Synchronous from read to write: nothing can interleave in one process.
      const current = new Map<string, ThrottleState>();
      for (const key of keys) {
        const state = states.get(key);
        if (state) current.set(key, state);
      }
      const { writes, result } = decide(current);
      for (const [key, state] of writes) {
        states.delete(key);
        if (state) states.set(key, state);
      }
      for (const oldest of states.keys()) {
        if (states.size <= maxKeys) break;
        states.delete(oldest);
      }
      return Promise.resolve(result);
    },
    size: () => states.size,
  };
}
