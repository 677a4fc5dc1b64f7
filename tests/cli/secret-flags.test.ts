/**
 * Secrets kept out of `ps`: real `clinic` processes take the admin password and the node
 * token from files (--admin-password-file, --token-file) without a word, warn once on stderr
 * when a secret is given as an argument, and refuse (exit code 2) a missing or empty secret
 * file or both flags at once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { http, clinicScope, type ClinicProcess } from '../support/clinic-process';

/** No secret from the runner's own environment may leak in. */
const NO_ENV_SECRETS = { CLINIC_ADMIN_PASSWORD: '', CLINIC_NODE_TOKEN: '', CLINIC_ADMIN_USER: '' };
const { tempDir, start } = clinicScope('clinic-secrets', NO_ENV_SECRETS);

/** A 0600 file holding `text` and a trailing newline, as `echo secret > file` leaves it. */
function secretFile(text: string): string {
  const path = join(tempDir(), 'secret');
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
  return path;
}

/** The command line every local user can read for this process (Linux), or undefined. */
function commandLine(p: ClinicProcess): string | undefined {
  const file = `/proc/${p.child.pid}/cmdline`;
  return existsSync(file) ? readFileSync(file, 'utf8').split('\0').join(' ') : undefined;
}

const PASSWORD = 'boss-password-from-file';

describe('secrets of the clinic command', () => {
  it('central takes --admin-password-file and an edge enrolls with --token-file, with no warning', async () => {
    const central = start([
      'central',
      '--port',
      '0',
      '--data',
      tempDir(),
      '--admin-user',
      'boss',
      '--admin-password-file',
      secretFile(PASSWORD),
    ]);
    const [, base] = await central.waitFor(/central listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const login = await http('POST', `${base}/api/v1/auth/token/`, {
      username: 'boss',
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    const admin = login.body.access as string;
    const facility = await http(
      'POST',
      `${base}/api/v1/facilities/`,
      { name: 'Hope', timezone: 'Africa/Nairobi' },
      admin,
    );
    const node = await http(
      'POST',
      `${base}/api/v1/nodes/`,
      { name: 'Hope front desk', facilities: [facility.body.id] },
      admin,
    );
    expect(node.status).toBe(201);
    const token = node.body.token as string;

    const edge = start([
      'edge',
      '--port',
      '0',
      '--data',
      tempDir(),
      '--central',
      base!,
      '--token-file',
      secretFile(token),
    ]);
    await edge.waitFor(/syncing with central .* as "Hope front desk"/);
    expect(commandLine(edge) ?? '').not.toContain(token);
    for (const p of [central, edge]) expect(p.output()).not.toMatch(/warning/i);
    edge.kill('SIGTERM');
    central.kill('SIGTERM');
    expect(await edge.exited).toBe(0);
    expect(await central.exited).toBe(0);
  }, 60_000);

  it('warns once, on stderr, when a secret is an argument, and still starts', async () => {
    const password = 'argv-password-1';
    const edge = start([
      'edge',
      '--port',
      '0',
      '--data',
      tempDir(),
      '--admin-user',
      'boss',
      '--admin-password',
      password,
    ]);
    let stderr = '';
    edge.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await edge.waitFor(/listening on/);
    const warnings = stderr.match(/^clinic: warning: .*$/gm) ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /--admin-password on the command line is visible to every local user .*--admin-password-file PATH or CLINIC_ADMIN_PASSWORD/,
    );
    expect(warnings[0]).not.toContain(password);
    expect(edge.output().match(/warning/gi)).toHaveLength(1);
    edge.kill('SIGTERM');
    expect(await edge.exited).toBe(0);
  });

  it('refuses both flags at once and a missing or empty secret file, with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--token', 'clinic-node.x', '--token-file', secretFile('clinic-node.x')],
        /--token and --token-file: give only one of them/,
      ],
      [['--token-file', join(tempDir(), 'missing')], /--token-file: cannot read .*\(ENOENT\)/],
      [['--admin-user', 'boss', '--admin-password-file', secretFile('')], /is empty/],
    ];
    for (const [args, message] of cases) {
      const data = join(tempDir(), 'node');
      const p = start(['edge', '--port', '0', '--data', data, ...args]);
      expect(await p.exited).toBe(2);
      expect(p.output()).toMatch(message);
      expect(existsSync(data)).toBe(false); // refused before the data directory exists
    }
  });
});
