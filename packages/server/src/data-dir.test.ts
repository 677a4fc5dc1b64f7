/** The data directory's modes on real files: created private, loose trees tightened, links left alone. */
import { createLogger } from '@clinic/api';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openInDataDir, prepareDataDir, tightenDataDir } from './data-dir';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'clinic-data-dir-'));
  roots.push(root);
  return root;
}
const mode = (path: string) => lstatSync(path).mode & 0o777;

function capturingLogger() {
  const lines: { level: number; msg: string; tightened?: number }[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

/** A data directory as an older version or a copy left it: open to every local user. */
function looseTree(root: string): string {
  const dir = join(root, 'data');
  mkdirSync(join(dir, 'pglite', 'base', '5'), { recursive: true });
  writeFileSync(join(dir, 'clinic.db'), 'x');
  writeFileSync(join(dir, 'pglite', 'PG_VERSION'), '17');
  writeFileSync(join(dir, 'pglite', 'base', '5', '1259'), 'x');
  chmodSync(join(dir, 'clinic.db'), 0o644);
  chmodSync(join(dir, 'pglite', 'PG_VERSION'), 0o666);
  chmodSync(join(dir, 'pglite', 'base', '5', '1259'), 0o640);
  for (const d of ['pglite/base/5', 'pglite/base', 'pglite', '.']) chmodSync(join(dir, d), 0o755);
  return dir;
}

describe('data directory modes', () => {
  it('creates a missing directory (and its parents) 0700 whatever the umask', () => {
    const root = tempRoot();
    const dir = join(root, 'new', 'node');
    const { logger, lines } = capturingLogger();
    expect(prepareDataDir(dir, logger)).toEqual({ tightened: 0, failed: [] });
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(root, 'new'))).toBe(0o700);
    expect(lines).toEqual([]);
  });

  it('tightens every directory to 0700 and every file to 0600, and says how many once', () => {
    const dir = looseTree(tempRoot());
    const { logger, lines } = capturingLogger();
    expect(prepareDataDir(dir, logger).tightened).toBe(7);
    for (const p of ['.', 'pglite', 'pglite/base', 'pglite/base/5'])
      expect(mode(join(dir, p))).toBe(0o700);
    for (const p of ['clinic.db', 'pglite/PG_VERSION', 'pglite/base/5/1259'])
      expect(mode(join(dir, p))).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, tightened: 7 });
    expect(lines[0]!.msg).toMatch(/tightened 7 entries/);

    // Already private: nothing changed, nothing said.
    const again = capturingLogger();
    expect(prepareDataDir(dir, again.logger).tightened).toBe(0);
    expect(again.lines).toEqual([]);
  });

  it('leaves private entries as they are (a 0400 file stays read-only)', () => {
    const dir = join(tempRoot(), 'data');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'readonly'), 'x', { mode: 0o400 });
    expect(tightenDataDir(dir).tightened).toBe(0);
    expect(mode(join(dir, 'readonly'))).toBe(0o400);
  });

  it('never follows a symbolic link out of the directory nor changes its target', () => {
    const root = tempRoot();
    const outsideFile = join(root, 'outside.txt');
    const outsideDir = join(root, 'outside-dir');
    writeFileSync(outsideFile, 'x');
    chmodSync(outsideFile, 0o644);
    mkdirSync(join(outsideDir, 'inner'), { recursive: true });
    writeFileSync(join(outsideDir, 'inner', 'f'), 'x');
    chmodSync(join(outsideDir, 'inner', 'f'), 0o644);
    chmodSync(outsideDir, 0o755);
    const dir = looseTree(root);
    symlinkSync(outsideFile, join(dir, 'link-to-file'));
    symlinkSync(outsideDir, join(dir, 'pglite', 'link-to-dir'));

    expect(tightenDataDir(dir).tightened).toBe(7);
    expect(statSync(outsideFile).mode & 0o777).toBe(0o644);
    expect(statSync(outsideDir).mode & 0o777).toBe(0o755);
    expect(statSync(join(outsideDir, 'inner', 'f')).mode & 0o777).toBe(0o644);
    expect(lstatSync(join(dir, 'link-to-file')).isSymbolicLink()).toBe(true);
  });

  it('tightens what the store created while opening, with a debug line only', async () => {
    const dir = join(tempRoot(), 'data');
    const { logger, lines } = capturingLogger();
    // Like PGlite's first start: files written 0666 by the database itself.
    const opened = await openInDataDir(dir, logger, () => {
      writeFileSync(join(dir, 'db-file'), 'x');
      chmodSync(join(dir, 'db-file'), 0o666);
      return 'store';
    });
    expect(opened).toBe('store');
    expect(mode(join(dir, 'db-file'))).toBe(0o600);
    expect(lines.map((l) => l.level)).toEqual([20]);
  });
});
