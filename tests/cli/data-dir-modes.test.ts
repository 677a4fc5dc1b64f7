/**
 * A node's data directory holds patient data, staff password hashes, its sync token and its
 * signing key: real `clinic edge`, `clinic central` and `clinic demo` processes (and the
 * library entry points, as tests and embedders call them) create it 0700 with every file
 * 0600, and tighten a directory an older version or a copy left open, saying so once.
 * The test runner's own umask (often 022) must not matter: the product sets its own.
 */
import { startCentral } from '@clinic/central';
import { startEdge } from '@clinic/edge';
import { silentLogger } from '@clinic/api';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clinicScope, type ClinicProcess } from '../support/clinic-process';

const { tempDir, start } = clinicScope('clinic-modes', { LOG_LEVEL: 'info' });

const mode = (path: string) => lstatSync(path).mode & 0o777;

/** Every directory and file under `dir` (itself included), symbolic links left out. */
function entries(dir: string): { path: string; isDir: boolean }[] {
  const found = [{ path: dir, isDir: true }];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const stats = lstatSync(path);
    if (stats.isDirectory() || stats.isFile()) found.push({ path, isDir: stats.isDirectory() });
  }
  return found;
}

/** The entries under `dir` that group or other may access, with their modes (octal). */
function openToOthers(dir: string): string[] {
  return entries(dir)
    .filter((e) => (mode(e.path) & 0o077) !== 0)
    .map((e) => `${mode(e.path).toString(8)} ${e.path}`);
}

/** Opens `dir` to every local user as an older version did: directories 0755, files 0644/0666. */
function loosen(dir: string, fileMode = 0o644): number {
  const all = entries(dir);
  for (const e of all) chmodSync(e.path, e.isDir ? 0o755 : fileMode);
  return all.length;
}

async function stop(p: ClinicProcess): Promise<void> {
  p.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

const TIGHTENED = /tightened (\d+) entr(?:y|ies)/;

describe('data directory modes of the clinic command', () => {
  it('clinic edge: a fresh directory is private; an open one is tightened and the log says so', async () => {
    const data = join(tempDir(), 'clinic');
    const first = start(['edge', '--port', '0', '--data', data]);
    await first.waitFor(/listening on/);
    expect(mode(data)).toBe(0o700);
    // While the node runs: the database, its WAL and shared memory, the key.
    for (const file of ['clinic.db', 'clinic.db-wal', 'clinic.db-shm', 'keys/signing-key.json'])
      expect([file, mode(join(data, file))]).toEqual([file, 0o600]);
    expect(mode(join(data, 'keys'))).toBe(0o700);
    expect(openToOthers(data)).toEqual([]);
    expect(first.output()).not.toMatch(TIGHTENED);
    // Files the node creates later (a WAL, PostgreSQL's caches) are private too: umask 077.
    const status = `/proc/${first.child.pid}/status`;
    if (existsSync(status)) expect(readFileSync(status, 'utf8')).toMatch(/^Umask:\s+0077$/m);
    await stop(first);

    // As an older version left it, plus a link to a file outside that must stay as it is.
    const outside = join(tempDir(), 'outside.txt');
    writeFileSync(outside, 'not the node’s');
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(data, 'link-out'));
    const loosened = loosen(data);
    expect(openToOthers(data)).toHaveLength(loosened);

    const second = start(['edge', '--port', '0', '--data', data]);
    await second.waitFor(/listening on/);
    expect(openToOthers(data)).toEqual([]);
    expect(mode(join(data, 'clinic.db-wal'))).toBe(0o600);
    expect(second.output().match(TIGHTENED)?.[1]).toBe(String(loosened));
    expect(second.output().match(new RegExp(TIGHTENED, 'g'))).toHaveLength(1);
    expect(mode(outside)).toBe(0o644);
    await stop(second);
  });

  it("clinic central: every file of PGlite's tree is private, and an open tree is tightened", async () => {
    const data = join(tempDir(), 'central');
    const first = start(['central', '--port', '0', '--data', data]);
    await first.waitFor(/central listening on/, 60_000);
    const files = entries(join(data, 'pglite')).filter((e) => !e.isDir);
    expect(files.length).toBeGreaterThan(100);
    expect(openToOthers(data)).toEqual([]);
    expect(mode(join(data, 'keys', 'signing-key.json'))).toBe(0o600);
    expect(first.output()).not.toMatch(TIGHTENED);
    await stop(first);

    // PGlite's own first-start modes (0666) on every file, 0755 on every directory.
    const loosened = loosen(data, 0o666);
    const second = start(['central', '--port', '0', '--data', data]);
    await second.waitFor(/central listening on/, 60_000);
    expect(openToOthers(data)).toEqual([]);
    expect(second.output().match(TIGHTENED)?.[1]).toBe(String(loosened));
    await stop(second);
  }, 120_000);

  it('clinic demo: ./data, central/ and clinic/ are private, an open ./data is tightened', async () => {
    const data = join(tempDir(), 'data');
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    const demo = start(['demo', '--port', '0', '--data', data]);
    await demo.waitFor(/Press Ctrl\+C to stop/, 90_000);
    for (const d of [data, join(data, 'central'), join(data, 'clinic')])
      expect([d, mode(d)]).toEqual([d, 0o700]);
    expect(mode(join(data, 'clinic', 'clinic.db'))).toBe(0o600);
    expect(openToOthers(data)).toEqual([]);
    expect(demo.output().match(TIGHTENED)?.[1]).toBe('1');
    await stop(demo);
  }, 120_000);
});

describe('data directory modes of the library entry points (no CLI, the runner’s umask)', () => {
  const base = { port: 0, host: '127.0.0.1', logger: silentLogger(), version: 'test' };

  it('startEdge creates its directory 0700 and its database 0600', async () => {
    const data = join(tempDir(), 'nested', 'clinic');
    const edge = await startEdge({ ...base, dataDir: data });
    try {
      expect(mode(data)).toBe(0o700);
      expect(mode(join(data, 'clinic.db'))).toBe(0o600);
      expect(existsSync(join(data, 'clinic.db-wal'))).toBe(true);
      expect(openToOthers(data)).toEqual([]);
    } finally {
      await edge.stop();
    }
  });

  it('startCentral creates its directory 0700 and PGlite’s files 0600', async () => {
    const data = join(tempDir(), 'central');
    const central = await startCentral({ ...base, dataDir: data });
    try {
      expect(mode(data)).toBe(0o700);
      expect(entries(join(data, 'pglite')).length).toBeGreaterThan(100);
      expect(openToOthers(data)).toEqual([]);
    } finally {
      await central.stop();
    }
  }, 60_000);
});
