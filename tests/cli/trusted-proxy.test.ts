/**
 * `--trusted-proxy` on real `clinic` processes: a node started with it says which proxies it
 * believes; an address that is not an IP literal is refused with exit code 2 and one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runClinic, type ClinicProcess } from '../support/clinic-process';

const dirs: string[] = [];
const procs: ClinicProcess[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'clinic-proxy-cli-'));
  dirs.push(d);
  return d;
}
function start(args: string[], env: Record<string, string> = {}): ClinicProcess {
  const p = runClinic(args, { CLINIC_TRUSTED_PROXIES: '', ...env });
  procs.push(p);
  return p;
}
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('clinic --trusted-proxy', () => {
  it('refuses an address that is not an IP literal, with exit code 2', async () => {
    const bad = start(['central', '--data', tempDir(), '--trusted-proxy', 'not-an-ip']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain(
      'clinic: --trusted-proxy: "not-an-ip" is not an IPv4 or IPv6 address',
    );
    const fromEnv = start(['edge', '--data', tempDir()], { CLINIC_TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(await fromEnv.exited).toBe(2);
    expect(fromEnv.output()).toContain('CLINIC_TRUSTED_PROXIES: "10.0.0.0/8" is not');
  });

  it('a clinic node started with it names the proxies it trusts', async () => {
    const edge = start([
      'edge',
      '--port',
      '0',
      '--data',
      tempDir(),
      '--trusted-proxy',
      '127.0.0.1,::1',
    ]);
    await edge.waitFor(/clinic node listening on/);
    await edge.waitFor(/X-Forwarded-For when the peer is a trusted proxy: 127\.0\.0\.1, ::1/);
    edge.kill('SIGTERM');
    expect(await edge.exited).toBe(0);
  }, 60_000);
});
