/**
 * A node's data directory holds its database (patients, staff password hashes, the node's
 * sync token) and its signing key, so only the user the node runs as may enter it: the
 * directory and every directory under it 0700, every file 0600.
 *
 * Both apps open their store through `openInDataDir`: it creates the directory 0700 (or
 * tightens one left open by an older version or a copy), opens the store, then tightens
 * what the database itself just created. PGlite writes its initial cluster 0666 whatever
 * the umask, and an embedder's umask may be 022; the `clinic` command also sets umask 077.
 *
 * The walk tightens a directory before it lists it, so once it is inside, no other user can
 * swap an entry for a symbolic link. Symbolic links, sockets and FIFOs are never followed
 * nor changed: nothing outside the directory is touched.
 */
import type { Logger } from '@clinic/api';
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;
/** Group and other permission bits: none may be set under a data directory. */
const OPEN_TO_OTHERS = 0o077;

export interface TightenResult {
  /** Entries whose group/other bits were removed. */
  tightened: number;
  /** Entries that could not be tightened or listed (e.g. owned by another user). */
  failed: { path: string; code: string }[];
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** chmods `path` to `target` when group or other has any access; counts it. */
function restrict(path: string, mode: number, target: number, result: TightenResult): void {
  if ((mode & OPEN_TO_OTHERS) === 0) return;
  try {
    chmodSync(path, target);
    result.tightened += 1;
  } catch (error) {
    result.failed.push({ path, code: errorCode(error) });
  }
}

/**
 * Removes every group/other permission under `dir` (directories become 0700, files 0600),
 * `dir` included. Never throws for an entry: failures are returned. No-op on Windows,
 * whose file modes do not say who may read a file.
 */
export function tightenDataDir(dir: string): TightenResult {
  const result: TightenResult = { tightened: 0, failed: [] };
  if (process.platform === 'win32') return result;
  // The data directory itself may be a symbolic link the operator chose; nothing under it is.
  const top = statSync(dir);
  if (!top.isDirectory()) throw new Error(`data directory ${dir} is not a directory`);
  restrict(dir, top.mode, DATA_DIR_MODE, result);
  const pending = [dir];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    let names: string[];
    try {
      names = readdirSync(next);
    } catch (error) {
      result.failed.push({ path: next, code: errorCode(error) });
      continue;
    }
    for (const name of names) {
      const path = join(next, name);
      let stats;
      try {
        stats = lstatSync(path);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') result.failed.push({ path, code: errorCode(error) });
        continue;
      }
      if (stats.isDirectory()) {
        restrict(path, stats.mode, DATA_DIR_MODE, result);
        pending.push(path);
      } else if (stats.isFile()) {
        restrict(path, stats.mode, DATA_FILE_MODE, result);
      }
    }
  }
  return result;
}

const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;

function logFailures(dir: string, result: TightenResult, logger: Logger): void {
  if (result.failed.length === 0) return;
  const first = result.failed[0]!;
  logger.warn(
    { dataDir: dir, failed: result.failed.length },
    `data directory: could not make ${entries(result.failed.length)} private ` +
      `(first: ${first.path}: ${first.code}); other users may read them`,
  );
}

/**
 * Creates `dir` with mode 0700 if it is missing; otherwise tightens it and everything under
 * it, with one warning line saying how many entries were open to other users (none when
 * everything was already private).
 */
export function prepareDataDir(dir: string, logger: Logger): TightenResult {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  const result = tightenDataDir(dir);
  if (result.tightened > 0) {
    logger.warn(
      { dataDir: dir, tightened: result.tightened },
      `data directory was open to other users: tightened ${entries(result.tightened)} ` +
        '(directories 0700, files 0600)',
    );
  }
  logFailures(dir, result, logger);
  return result;
}

/**
 * Opens a store in the node's data directory: `prepareDataDir`, then `open`, then tightens
 * whatever the database created with looser modes (a debug line, not a warning: it is the
 * database's doing, and no other user could enter the 0700 directory meanwhile).
 */
export async function openInDataDir<T>(
  dir: string,
  logger: Logger,
  open: () => T | Promise<T>,
): Promise<T> {
  prepareDataDir(dir, logger);
  const opened = await open();
  const after = tightenDataDir(dir);
  if (after.tightened > 0) {
    logger.debug(
      { dataDir: dir, tightened: after.tightened },
      'made the files the database created private',
    );
  }
  logFailures(dir, after, logger);
  return opened;
}
