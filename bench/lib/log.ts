/**
 * Progress lines for the benchmark: `[  12.3s] scope: message` on stdout, so a long
 * seeding phase shows that it is still moving.
 */

const started = performance.now();

export function log(scope: string, message: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[${t}s] ${scope}: ${message}`);
}

/** Logs `done/total` at most every `everyMs` (and always at the end). */
export function progress(scope: string, what: string, total: number, everyMs = 2000) {
  let last = performance.now();
  return (done: number) => {
    const now = performance.now();
    if (done === total || now - last >= everyMs) {
      last = now;
      log(scope, `${what} ${done}/${total}`);
    }
  };
}

/** Runs `fn` and logs how long it took. */
export async function timed<T>(scope: string, what: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  log(scope, `${what} in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  return result;
}
