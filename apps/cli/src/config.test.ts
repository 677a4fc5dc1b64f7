/** Flags as parsed: notification values, secrets and their sources, environment fallbacks, refusals. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseCommand, type EdgeConfig } from './config';

const edge = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  (parseCommand(['edge', '--data', 'd', ...args], env) as { config: EdgeConfig }).config;

describe('notification configuration', () => {
  it('takes defaults, flags, and the environment for secrets', () => {
    expect(edge([])).toMatchObject({ reminderHours: 24, notifyMaxAttempts: 8 });
    expect(edge([]).smtpUrl).toBeUndefined();
    expect(
      edge(['--sms-gateway', 'webhook:https://sms.example.org/hook', '--reminder-hours', '1.5']),
    ).toMatchObject({ smsGateway: 'webhook:https://sms.example.org/hook', reminderHours: 1.5 });
    // A URL with a password stays out of the process list when it comes from the environment.
    expect(edge([], { CLINIC_SMTP_URL: 'smtp://u:p@mail:587' }).smtpUrl).toBe(
      'smtp://u:p@mail:587',
    );
  });

  it('accepts a From address with a display name', () => {
    expect(edge(['--mail-from', 'Hope Clinic <noreply@hope.example.org>']).mailFrom).toBe(
      'Hope Clinic <noreply@hope.example.org>',
    );
    expect(edge(['--mail-from', 'clinic@localhost']).mailFrom).toBe('clinic@localhost');
  });

  it('refuses what cannot work, naming the flag', () => {
    expect(() => edge(['--mail-from', 'nobody'])).toThrow(ConfigError);
    expect(() => edge(['--mail-from', 'nobody'])).toThrow(/--mail-from/);
    expect(() => edge(['--smtp-url', 'http://mail'])).toThrow(/--smtp-url/);
    expect(() => edge(['--sms-gateway', 'pigeon'])).toThrow(/--sms-gateway/);
    expect(() => edge(['--notify-max-attempts', '0'])).toThrow(/--notify-max-attempts/);
  });
});

describe('secrets: --token-file and --admin-password-file', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  /** A real file holding `text`, with `mode`. */
  function secretFile(text: string, mode = 0o600): string {
    const dir = mkdtempSync(join(tmpdir(), 'clinic-secret-'));
    dirs.push(dir);
    const path = join(dir, 'secret');
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  }
  const parse = (command: 'edge' | 'central', args: string[], env: NodeJS.ProcessEnv = {}) =>
    parseCommand([command, '--data', 'd', ...args], env) as {
      config: EdgeConfig;
      warnings: string[];
    };
  const ADMIN = ['--admin-user', 'boss'];

  it('reads each secret from its file once, without the trailing newline, and says nothing', () => {
    const got = parse('edge', [
      '--token-file',
      secretFile('clinic-node.abc\n'),
      ...ADMIN,
      '--admin-password-file',
      secretFile('pass word 1 \r\n'),
    ]);
    expect(got.config).toMatchObject({ token: 'clinic-node.abc', adminPassword: 'pass word 1 ' });
    expect(got.warnings).toEqual([]);
    const central = parse('central', [...ADMIN, '--admin-password-file', secretFile('long-pw-1')]);
    expect(central.config.adminPassword).toBe('long-pw-1');
  });

  it('takes the environment variables without a warning', () => {
    const got = parse('edge', ADMIN, {
      CLINIC_NODE_TOKEN: 'clinic-node.env',
      CLINIC_ADMIN_PASSWORD: 'env-password',
    });
    expect(got.config).toMatchObject({ token: 'clinic-node.env', adminPassword: 'env-password' });
    expect(got.warnings).toEqual([]);
    // A file flag wins over the variable.
    expect(
      parse('edge', ['--token-file', secretFile('from-file')], { CLINIC_NODE_TOKEN: 'env' }).config
        .token,
    ).toBe('from-file');
  });

  it('accepts a secret on the command line with one warning naming the safer ways', () => {
    const got = parse('edge', [
      '--token',
      'clinic-node.argv',
      ...ADMIN,
      '--admin-password',
      'argv-password',
    ]);
    expect(got.config).toMatchObject({ token: 'clinic-node.argv', adminPassword: 'argv-password' });
    expect(got.warnings).toEqual([
      expect.stringMatching(
        /--admin-password .*visible.*--admin-password-file PATH or CLINIC_ADMIN_PASSWORD/,
      ),
      expect.stringMatching(/--token .*visible.*--token-file PATH or CLINIC_NODE_TOKEN/),
    ]);
    expect(got.warnings.join('\n')).not.toContain('argv-password');
  });

  it('warns about a secret file other users may read, naming its mode', () => {
    const path = secretFile('clinic-node.abc\n', 0o644);
    const got = parse('edge', ['--token-file', path]);
    expect(got.config.token).toBe('clinic-node.abc');
    expect(got.warnings).toEqual([
      `--token-file ${path} is open to other users (mode 644): chmod 600 it`,
    ]);
  });

  it('refuses both flags at once, and a missing or empty file, naming the flag', () => {
    const file = secretFile('clinic-node.abc');
    expect(() => parse('edge', ['--token', 't', '--token-file', file])).toThrow(
      /--token and --token-file: give only one of them/,
    );
    expect(() =>
      parse('central', [...ADMIN, '--admin-password', 'long-pw-1', '--admin-password-file', file]),
    ).toThrow(ConfigError);
    expect(() => parse('edge', ['--token-file', join(tmpdir(), 'no-such-clinic-secret')])).toThrow(
      /--token-file: cannot read .*no-such-clinic-secret \(ENOENT\)/,
    );
    expect(() => parse('edge', ['--token-file', secretFile('\n')])).toThrow(
      /--token-file: .* is empty/,
    );
    // The file's content is checked like the flag's, and the message names the file flag.
    expect(() => parse('edge', [...ADMIN, '--admin-password-file', secretFile('short\n')])).toThrow(
      /--admin-password-file: must be at least 8 characters/,
    );
  });
});

describe('--trusted-proxy and CLINIC_TRUSTED_PROXIES', () => {
  const central = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    (parseCommand(['central', '--data', 'd', ...args], env) as { config: EdgeConfig }).config;

  it('takes IPv4 and IPv6 addresses, comma-separated or repeated, on central and edge', () => {
    expect(edge([]).trustedProxies).toEqual([]);
    expect(edge(['--trusted-proxy', '10.0.0.1, ::1']).trustedProxies).toEqual(['10.0.0.1', '::1']);
    expect(
      central(['--trusted-proxy', '10.0.0.1', '--trusted-proxy', 'fd00::2,']).trustedProxies,
    ).toEqual(['10.0.0.1', 'fd00::2']);
    expect(edge([], { CLINIC_TRUSTED_PROXIES: '192.168.1.5' }).trustedProxies).toEqual([
      '192.168.1.5',
    ]);
    // The flag wins over the variable.
    expect(
      edge(['--trusted-proxy', '10.0.0.1'], { CLINIC_TRUSTED_PROXIES: '10.0.0.9' }).trustedProxies,
    ).toEqual(['10.0.0.1']);
  });

  it('refuses anything but an IP address in one line naming the flag or variable', () => {
    expect(() => edge(['--trusted-proxy', 'not-an-ip'])).toThrow(
      /^--trusted-proxy: "not-an-ip" is not an IPv4 or IPv6 address$/,
    );
    expect(() => central(['--trusted-proxy', '10.0.0.1,10.0.0.0/8'])).toThrow(/"10.0.0.0\/8"/);
    expect(() => central(['--trusted-proxy', '10.0.0.1:443'])).toThrow(ConfigError);
    expect(() => edge([], { CLINIC_TRUSTED_PROXIES: 'proxy.local' })).toThrow(
      /^CLINIC_TRUSTED_PROXIES: "proxy.local" is not/,
    );
  });
});
