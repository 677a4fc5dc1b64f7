/**
 * What the sync benchmark must undo however it ends, on top of bench/lib/cleanup.ts
 * (child processes by pid, temp dirs): asynchronous undo steps such as dropping the
 * throwaway PostgreSQL database. Registered steps run newest first, once, on a normal
 * end, an error, or Ctrl+C / SIGTERM; the processes are stopped before them.
 */
import type { ChildProcess } from 'node:child_process';
import { cleanupAll } from './cleanup';

const steps: { name: string; run: () => Promise<void> }[] = [];
const children = new Set<ChildProcess>();

/** Remembers a child for the last resort at exit (SIGKILL by its pid). */
export function trackSyncChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Registers an undo step; returns a function that runs it now (and unregisters it). */
export function onCleanup(name: string, run: () => Promise<void>): () => Promise<void> {
  const step = { name, run };
  steps.push(step);
  return async () => {
    const i = steps.indexOf(step);
    if (i < 0) return;
    steps.splice(i, 1);
    await run();
  };
}

let running: Promise<void> | undefined;
let interrupted = false;

/**
 * Stops every process, then runs the undo steps (newest first); reports failures. A call
 * while a clean-up is running waits for that one (Ctrl+C during the final clean-up).
 */
export function syncCleanupAll(): Promise<void> {
  running ??= (async () => {
    await cleanupAll();
    while (steps.length > 0) {
      const step = steps.pop();
      if (!step) break;
      try {
        await step.run();
      } catch (err) {
        console.error(`cleanup "${step.name}" failed:`, (err as Error).message);
      }
    }
  })().finally(() => {
    running = undefined;
  });
  return running;
}

/** True once Ctrl+C / SIGTERM arrived: the run's results are not to be reported. */
export function wasInterrupted(): boolean {
  return interrupted;
}

/** Ctrl+C / SIGTERM: clean up everything, then exit with 128 + the signal number. */
export function installSyncCleanupHandlers(): void {
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping servers, dropping databases, removing temp dirs…`);
    syncCleanupAll()
      .catch((err: unknown) => console.error('cleanup failed:', err))
      .finally(() => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  // Last resort (synchronous): whatever is still running when the process exits.
  process.on('exit', () => {
    for (const child of children) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
