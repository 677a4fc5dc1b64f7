/**
 * What every benchmark's entry point does the same way: say how it was started, record its
 * results under bench/results/, and end the process with its exit code (cleaning up the
 * servers it started when it throws).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './server';

export const RESULTS_DIR = join(REPO_ROOT, 'bench/results');

/**
 * The command that started this run, as a reader would type it again: `npm run <script> --
 * <args>` when npm ran it, else `tsx <file> <args>`.
 */
export function benchCommand(npmScript: string, file: string, argv: string[]): string {
  const args = argv.join(' ');
  if (process.env.npm_lifecycle_event === npmScript) {
    return `npm run ${npmScript}${args ? ` -- ${args}` : ''}`;
  }
  return `tsx ${file}${args ? ` ${args}` : ''}`;
}

/** Writes `bench/results/<name>` as indented JSON and says so; returns the path. */
export function writeResults(name: string, results: unknown, totalSeconds: number): string {
  const file = join(RESULTS_DIR, name);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${file} (total ${totalSeconds.toFixed(0)}s)`);
  return file;
}

/** Runs `main` and exits with its code; a throw is printed, `cleanup` runs, the exit is 1. */
export function runBench(
  label: string,
  main: () => Promise<number>,
  cleanup: () => Promise<void>,
): void {
  main().then(
    (code) => process.exit(code),
    async (err: unknown) => {
      console.error(`${label} failed:`, err);
      await cleanup();
      process.exit(1);
    },
  );
}
