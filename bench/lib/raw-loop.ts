/**
 * The driver of the raw baselines: one booking transaction after another on a single
 * connection (what the server's one writer does at best), a warm-up, then a fixed
 * measured duration. Reports transactions per second and per-transaction latency.
 */
import { summarize, type LatencySummary } from './stats';

export interface RawResult {
  seconds: number;
  transactions: number;
  errors: number;
  txPerSec: number;
  latency: LatencySummary;
  errorSamples: string[];
  /** Transactions per second of the run, warm-up included. */
  perSecond: number[];
}

export async function runRawLoop(
  booking: () => Promise<void> | void,
  warmupMs: number,
  measureMs: number,
): Promise<RawResult> {
  const t0 = performance.now();
  const perSecond: number[] = [];
  const tick = (now: number) => {
    const second = Math.floor((now - t0) / 1000);
    perSecond[second] = (perSecond[second] ?? 0) + 1;
  };
  const windowStart = t0 + warmupMs;
  while (performance.now() < windowStart) {
    await booking();
    tick(performance.now());
  }

  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + measureMs;
  let now = start;
  while (now < end) {
    const t = now;
    try {
      await booking();
    } catch (err) {
      errors += 1;
      if (errorSamples.length < 5) errorSamples.push((err as Error).message);
    }
    now = performance.now();
    latencies.push(now - t);
    tick(now);
  }
  const seconds = (now - start) / 1000;
  return {
    seconds,
    transactions: latencies.length,
    errors,
    txPerSec: (latencies.length - errors) / seconds,
    latency: summarize(latencies),
    errorSamples,
    perSecond: Array.from(perSecond, (n) => n ?? 0),
  };
}
