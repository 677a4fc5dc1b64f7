/**
 * Settings of the fuzz suites (tests/fuzz), read once from the environment:
 *
 * - `FUZZ_SEED`: the fast-check seed (an integer). Default: a fresh one per process,
 *   printed at the start of each suite, in its closing line and by fast-check on failure.
 * - `FUZZ_RUNS`: property runs per suite, overriding each suite's default (longer runs:
 *   `npm run fuzz:long`, bench/fuzz-long.ts).
 * - `FUZZ_PATH`: with `FUZZ_SEED`, replays the one counterexample fast-check printed.
 * - `FUZZ_COLLECT=1`: record every violation instead of stopping at the first; the suite
 *   prints one reproduction per distinct failure and fails at the end if any.
 */
import fc, { type Parameters as FcParameters } from 'fast-check';

export interface FuzzSettings {
  seed: number;
  /** Runs per suite when set; each suite has its own default. */
  runs: number | undefined;
  path: string | undefined;
  collect: boolean;
}

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${text}"`);
  return value;
}

const flag = (text: string | undefined) => text !== undefined && /^(1|true|yes)$/i.test(text);

function read(): FuzzSettings {
  const env = process.env;
  const runs = integer('FUZZ_RUNS', env.FUZZ_RUNS);
  if (runs !== undefined && runs < 1) throw new Error('FUZZ_RUNS must be at least 1');
  return {
    // fast-check seeds are 32-bit integers.
    seed: integer('FUZZ_SEED', env.FUZZ_SEED) ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0,
    runs,
    path: env.FUZZ_PATH?.trim() || undefined,
    collect: flag(env.FUZZ_COLLECT),
  };
}

export const fuzzSettings: FuzzSettings = read();

/** Runs of a suite with the settings in force. */
export const runsOf = (defaultRuns: number) => fuzzSettings.runs ?? defaultRuns;

/** Milliseconds a suite may take (vitest's timeout): generous, and room to shrink a failure. */
export function suiteTimeoutMs(defaultRuns: number, msPerRun: number): number {
  return 120_000 + runsOf(defaultRuns) * msPerRun * 4;
}

/** fast-check parameters of one suite: the shared seed, the suite's number of runs. */
export function fcParameters<T>(defaultRuns: number, msPerRun: number): FcParameters<T> {
  return {
    seed: fuzzSettings.seed,
    numRuns: runsOf(defaultRuns),
    ...(fuzzSettings.path !== undefined && { path: fuzzSettings.path }),
    // Shrinking replays requests against a live store: stop it before vitest's timeout so
    // the failure is still reported, with the smallest case found so far.
    plugins: [fc.interruptAfterTimeLimit(suiteTimeoutMs(defaultRuns, msPerRun) - 30_000)],
  };
}
