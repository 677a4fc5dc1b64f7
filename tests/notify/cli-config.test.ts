/**
 * The notification flags of the `clinic` command as a real process: a bad SMS gateway spec
 * or a gateway without its secrets is refused at start-up (exit code 2, one line naming the
 * problem, never a stack trace) instead of failing at the first send; `--help` documents the
 * flags; a good configuration starts and says where email and SMS go.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clinicScope } from '../support/clinic-process';

const { tempDir, start } = clinicScope('clinic-notify-cli');

/** Every gateway secret blanked: the test runner's own environment must not leak in. */
const NO_GATEWAY_SECRETS: Record<string, string> = {
  CLINIC_SMS_GATEWAY: '',
  CLINIC_SMS_WEBHOOK_TOKEN: '',
  AT_USERNAME: '',
  AT_API_KEY: '',
  AT_SENDER_ID: '',
  AT_BASE_URL: '',
  TWILIO_ACCOUNT_SID: '',
  TWILIO_AUTH_TOKEN: '',
  TWILIO_FROM: '',
  TWILIO_BASE_URL: '',
  CLINIC_SMTP_URL: '',
  CLINIC_MAIL_FROM: '',
};

/**
 * Runs `clinic <role> ... <flags>` that must be refused, and returns the first line it
 * printed after checking the exit code, that nothing listened and that no stack was dumped.
 */
async function refused(
  role: 'central' | 'edge',
  flags: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const data = tempDir();
  const p = start([role, '--port', '0', '--data', data, ...flags], {
    ...NO_GATEWAY_SECRETS,
    ...env,
  });
  const code = await p.exited;
  const out = p.output();
  expect(code, `clinic ${role} ${flags.join(' ')} printed:\n${out}`).toBe(2);
  expect(out).not.toMatch(/listening on/);
  expect(out).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  const first = out.split('\n')[0] ?? '';
  expect(first).toMatch(/^clinic: \S/);
  return first;
}

describe('clinic notification flags', () => {
  it('refuses an unknown or malformed --sms-gateway with exit code 2, naming the flag', async () => {
    const [unknownCentral, unknownEdge, ftp, notUrl] = await Promise.all([
      refused('central', ['--sms-gateway', 'carrier-pigeon']),
      refused('edge', ['--sms-gateway', 'carrier-pigeon']),
      refused('central', ['--sms-gateway', 'webhook:ftp://127.0.0.1/sms']),
      refused('edge', ['--sms-gateway', 'webhook:http://exa mple/ sms']),
    ]);
    for (const unknown of [unknownCentral, unknownEdge]) {
      expect(unknown).toMatch(/--sms-gateway|SMS gateway/);
      expect(unknown).toMatch(/webhook/);
      expect(unknown).toMatch(/twilio/);
      expect(unknown).toMatch(/africastalking/);
    }
    expect(ftp).toMatch(/--sms-gateway|webhook/);
    expect(notUrl).toMatch(/webhook|URL/i);
  }, 60_000);

  it('refuses twilio and africastalking without their environment, naming the variable', async () => {
    // With one secret given, the next missing one is named, and the given one never echoed.
    const sid = 'sid-secret-4f9a0c';
    const token = 'token-secret-77e1';
    const [central, noToken, noFrom, at] = await Promise.all([
      refused('central', ['--sms-gateway', 'twilio']),
      refused('edge', ['--sms-gateway', 'twilio'], { TWILIO_ACCOUNT_SID: sid }),
      refused('edge', ['--sms-gateway', 'twilio'], {
        TWILIO_ACCOUNT_SID: sid,
        TWILIO_AUTH_TOKEN: token,
      }),
      refused('central', ['--sms-gateway', 'africastalking']),
    ]);
    expect(central).toMatch(/twilio/i);
    expect(central).toMatch(/TWILIO_ACCOUNT_SID/);
    expect(noToken).toMatch(/TWILIO_AUTH_TOKEN/);
    expect(noToken).not.toContain(sid);
    expect(noFrom).toMatch(/TWILIO_FROM/);
    expect(noFrom).not.toContain(sid);
    expect(noFrom).not.toContain(token);
    expect(at).toMatch(/AT_USERNAME|AT_API_KEY/);
  }, 60_000);

  it('refuses a bad --smtp-url, --mail-from, --reminder-hours and --notify-max-attempts', async () => {
    const answers = await Promise.all([
      refused('central', ['--smtp-url', 'http://127.0.0.1:25']),
      refused('edge', ['--mail-from', 'not-an-address']),
      refused('central', ['--reminder-hours', '-1']),
      refused('edge', ['--reminder-hours', 'soon']),
      refused('central', ['--notify-max-attempts', '0']),
    ]);
    expect(answers[0]).toMatch(/--smtp-url/);
    expect(answers[1]).toMatch(/--mail-from/);
    expect(answers[2]).toMatch(/--reminder-hours/);
    expect(answers[3]).toMatch(/--reminder-hours/);
    expect(answers[4]).toMatch(/--notify-max-attempts/);
  }, 60_000);

  it('refuses before touching the data directory', async () => {
    const data = tempDir();
    const p = start(['edge', '--port', '0', '--data', data, '--sms-gateway', 'twilio'], {
      ...NO_GATEWAY_SECRETS,
    });
    expect(await p.exited).toBe(2);
    expect(readdirSync(data)).toEqual([]);
  });

  it('documents the notification flags and where the secrets come from in --help', async () => {
    const help = start(['--help']);
    expect(await help.exited).toBe(0);
    const text = help.output();
    for (const flag of [
      '--smtp-url',
      '--mail-from',
      '--sms-gateway',
      '--reminder-hours',
      '--notify-max-attempts',
    ]) {
      expect(text).toContain(flag);
    }
    expect(text).toMatch(/log \| webhook:URL \| africastalking \| twilio/);
    for (const env of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'AT_API_KEY']) {
      expect(text).toContain(env);
    }
  });

  it('starts with a good configuration and says where email and SMS go', async () => {
    // A standalone clinic node (no central): quick to start, and nothing is sent here.
    const own = start(
      [
        'edge',
        '--port',
        '0',
        '--data',
        tempDir(),
        '--smtp-url',
        'smtp://127.0.0.1:9',
        '--mail-from',
        'noreply@hope.example',
        '--sms-gateway',
        'webhook:http://127.0.0.1:9/sms',
        '--reminder-hours',
        '0.5',
      ],
      NO_GATEWAY_SECRETS,
    );
    const line = await own.waitFor(/notifications: .*/, 60_000);
    expect(line[0]).toMatch(/email smtp/);
    expect(line[0]).toMatch(/SMS webhook/);

    // Without transports a clinic node relays both channels through central.
    const relay = start(['edge', '--port', '0', '--data', tempDir()], NO_GATEWAY_SECRETS);
    const relayLine = await relay.waitFor(/notifications: .*/, 60_000);
    expect(relayLine[0]).toMatch(/email relayed to central/);
    expect(relayLine[0]).toMatch(/SMS relayed to central/);

    own.kill('SIGTERM');
    relay.kill('SIGTERM');
    expect(await own.exited).toBe(0);
    expect(await relay.exited).toBe(0);
  }, 90_000);
});
