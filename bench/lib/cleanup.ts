/**
 * What the benchmark must undo however it ends (success, error, Ctrl+C): the server
 * processes it started, killed by their own pid (SIGTERM, then SIGKILL after a grace
 * period), and the temporary directories it made.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Stops `child` by its pid: SIGTERM (the clinic CLI shuts down cleanly on it), SIGKILL
 * if it is still running after `graceMs`. Resolves once it has exited.
 */
export async function killChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.pid === undefined || !alive(child)) {
    children.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && alive(child)) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** A fresh directory under the OS temp dir, removed by `removeTempDir` or at exit. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `clinic-bench-${prefix}-`));
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Kills every tracked child and removes every tracked directory. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...children].map((c) => killChild(c, 5_000)));
  for (const dir of [...dirs]) removeTempDir(dir);
}

/** Last resort at process exit (synchronous): SIGKILL what is left, remove the dirs. */
function cleanupSync(): void {
  for (const child of children) {
    if (child.pid !== undefined && alive(child)) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/** Ctrl+C / SIGTERM: clean up, then exit with the conventional 128 + signal code. */
export function installCleanupHandlers(): void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping servers and removing temp dirs…`);
    cleanupAll()
      .catch((err: unknown) => console.error('cleanup failed:', err))
      .finally(() => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('exit', cleanupSync);
}
