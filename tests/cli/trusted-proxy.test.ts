/**
 * `--trusted-proxy` on real `clinic` processes: a node started with it says which proxies it
 * believes; an address that is not an IP literal is refused with exit code 2 and one line.
 */
import { describe, expect, it } from 'vitest';
import { clinicScope } from '../support/clinic-process';

const { tempDir, start } = clinicScope('clinic-proxy-cli', { CLINIC_TRUSTED_PROXIES: '' });

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
