/**
 * SMS through the Twilio and Africa's Talking HTTP APIs, as a real `clinic edge` process
 * configured by its flags and environment (`--sms-gateway twilio|africastalking`, secrets and
 * TWILIO_BASE_URL / AT_BASE_URL from env) sending to a local fake of each API
 * (tests/support/fake-sms-gateways.ts). A clinic node with its own gateway delivers its SMS
 * itself, so a standalone node (no central) is enough.
 *
 * Each SMS is checked against an independent length oracle: one segment, 160 GSM-7 septets or
 * 70 UCS-2 units when a character is outside GSM-7. A permanent refusal is dead-lettered at
 * once with the gateway's words, the phone number scrubbed; a 5xx is retried until it passes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { freePort, http, runClinic, type ClinicProcess } from '../support/clinic-process';
import { waitUntil } from '../support/cluster';
import {
  startFakeAfricasTalking,
  startFakeTwilio,
  type FakeAfricasTalking,
  type FakeTwilio,
} from '../support/fake-sms-gateways';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ADMIN = { username: 'boss', password: `boss-${randomBytes(6).toString('hex')}` };
const PATIENT_PHONE = '+254711000101';
const PROVIDER_PHONE = '+254711000001';

const dirs: string[] = [];
const procs: ClinicProcess[] = [];
const fakes: Array<{ close(): Promise<void> }> = [];

afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await Promise.allSettled(fakes.map((f) => f.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------- an independent length oracle

const GSM7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXT = new Set('\f^{}\\[~]|€');

/** True when `text` is one SMS segment in the encoding a gateway would pick for it. */
function fitsOneSegment(text: string): boolean {
  const chars = [...text];
  if (chars.every((c) => GSM7.has(c) || GSM7_EXT.has(c))) {
    return chars.reduce((n, c) => n + (GSM7_EXT.has(c) ? 2 : 1), 0) <= 160;
  }
  return text.length <= 70; // UTF-16 code units
}

// ---------------------------------------------------------------- a standalone clinic node

interface Node {
  base: string;
  token: string;
  nodeId: string;
  proc: ClinicProcess;
}

async function startNode(args: string[], env: Record<string, string>): Promise<Node> {
  const data = mkdtempSync(join(tmpdir(), 'clinic-notify-sms-'));
  dirs.push(data);
  const port = await freePort();
  const proc = runClinic(
    [
      'edge',
      '--port',
      String(port),
      '--data',
      data,
      '--admin-user',
      ADMIN.username,
      '--admin-password',
      ADMIN.password,
      '--log-level',
      'warn',
      ...args,
    ],
    { CLINIC_NOTIFY_RETRY_BASE_MS: '500', ...env },
  );
  procs.push(proc);
  await proc.waitFor(/listening on/, 60_000);
  const base = `http://127.0.0.1:${port}`;
  const login = await http('POST', `${base}/api/v1/auth/token/`, ADMIN);
  expect(login.status).toBe(200);
  const health = await http('GET', `${base}/healthz`);
  return { base, token: login.body.access as string, nodeId: String(health.body.node), proc };
}

interface Seeded {
  facility: string;
  provider: string;
  patient: string;
}

/** A facility in Lagos, a provider and a patient whose first name is not in GSM-7. */
async function seed(node: Node): Promise<Seeded> {
  const post = async (path: string, body: Record<string, unknown>) => {
    const res = await http('POST', `${node.base}${path}`, body, node.token);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(201);
    return res.body.id as string;
  };
  const facility = await post('/api/v1/facilities/', {
    name: 'Ikeja Health Post',
    timezone: 'Africa/Lagos',
    capacity: 5,
    is_active: true,
  });
  const provider = await post('/api/v1/users/', {
    username: 'nurse.ada',
    password: 'nurse-ada-password',
    role: 'provider',
    user_type: 'nurse',
    first_name: 'Ada',
    last_name: 'Okafor',
    phone_number: PROVIDER_PHONE,
    facilities: [facility],
    is_active: true,
  });
  const patient = await post('/api/v1/patients/', {
    patient_id: `MRN-${randomBytes(3).toString('hex')}`,
    first_name: 'አበበ',
    last_name: 'Bekele',
    phone_number: PATIENT_PHONE,
    registered_facility: facility,
    is_active: true,
  });
  return { facility, provider, patient };
}

/** Books at 06:00 UTC `days` ahead (07:00 in Lagos); resolves with the appointment id. */
async function book(node: Node, s: Seeded, days: number): Promise<string> {
  const d = new Date(Date.now() + days * DAY);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 6, 0);
  const res = await http(
    'POST',
    `${node.base}/api/v1/appointments/`,
    {
      patient: s.patient,
      provider: s.provider,
      facility: s.facility,
      appointment_type: 'vaccination',
      reason: 'Second dose',
      start_time: new Date(start).toISOString(),
      end_time: new Date(start + 30 * MINUTE).toISOString(),
    },
    node.token,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

interface Row {
  id: string;
  event: string;
  recipient: string;
  method: string;
  status: string;
  attempts: number;
  delivered_by: string;
  last_error: string | null;
}

/** The created-event SMS rows of an appointment, once both are in `status`. */
function smsRows(node: Node, id: string, status: string, timeoutMs = 15_000): Promise<Row[]> {
  return waitUntil(
    async () => {
      const res = await http(
        'GET',
        `${node.base}/api/v1/notifications/?appointment=${id}&page_size=100`,
        undefined,
        node.token,
      );
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const rows = (res.body.results as Row[]).filter(
        (r) => r.method === 'sms' && r.event === 'created',
      );
      if (rows.length !== 2 || !rows.every((r) => r.status === status)) {
        throw new Error(JSON.stringify(rows));
      }
      return rows;
    },
    { timeoutMs, intervalMs: 100, message: `the two SMS rows of ${id} never became ${status}` },
  );
}

describe('SMS gateways from a real clinic node', () => {
  it('Twilio: both SMS as form posts with basic auth, one segment each; a refused number is dead-lettered', async () => {
    const twilio: FakeTwilio = await startFakeTwilio();
    fakes.push(twilio);
    const node = await startNode(['--sms-gateway', 'twilio'], {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilio.url,
    });
    onTestFailed(() => console.log(node.proc.output()));
    const s = await seed(node);

    const id = await book(node, s, 3);
    const rows = await smsRows(node, id, 'sent');
    for (const row of rows) {
      expect(row.delivered_by).toBe(node.nodeId);
      expect(row.attempts).toBe(1);
    }
    expect(twilio.messages.map((m) => m.to).sort()).toEqual([PROVIDER_PHONE, PATIENT_PHONE].sort());
    for (const m of twilio.messages) {
      expect(m.from).toBe('+15005550006');
      expect(fitsOneSegment(m.body), m.body).toBe(true);
      expect(m.body).toContain('07:00');
    }
    // The provider's SMS names the patient, whose name needs UCS-2: 70 units at most.
    const toProvider = twilio.messages.find((m) => m.to === PROVIDER_PHONE)!;
    expect(toProvider.body).toContain('አበበ');
    expect(toProvider.body.length).toBeLessThanOrEqual(70);

    twilio.setFailure('4xx');
    const refused = await book(node, s, 4);
    const failed = await smsRows(node, refused, 'failed');
    for (const row of failed) {
      expect(row.attempts).toBe(1);
      expect(row.last_error).toMatch(/21211|400/);
      expect(row.last_error).not.toContain(PATIENT_PHONE);
      expect(row.last_error).not.toContain(PROVIDER_PHONE);
      expect(row.last_error).not.toContain(PATIENT_PHONE.slice(1));
    }
    expect(twilio.messages).toHaveLength(2);
  }, 90_000);

  it("Africa's Talking: both SMS with the apiKey header and sender id; a 5xx is retried until it passes", async () => {
    const at: FakeAfricasTalking = await startFakeAfricasTalking();
    fakes.push(at);
    const node = await startNode(['--sms-gateway', 'africastalking'], {
      AT_USERNAME: at.username,
      AT_API_KEY: at.apiKey,
      AT_SENDER_ID: 'CLINIC',
      AT_BASE_URL: at.url,
    });
    onTestFailed(() => console.log(node.proc.output()));
    const s = await seed(node);

    at.setFailure('5xx');
    const id = await book(node, s, 3);
    await waitUntil(() => at.requests >= 4, {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: 'the SMS were not retried while the gateway failed',
    });
    expect(at.messages).toEqual([]);
    at.setFailure('none');

    const rows = await smsRows(node, id, 'sent', 20_000);
    for (const row of rows) {
      expect(row.attempts).toBeGreaterThan(1);
      expect(row.last_error).toBeNull();
    }
    expect(at.messages.map((m) => m.to).sort()).toEqual([PROVIDER_PHONE, PATIENT_PHONE].sort());
    for (const m of at.messages) {
      expect(m.username).toBe(at.username);
      expect(m.from).toBe('CLINIC');
      expect(fitsOneSegment(m.message), m.message).toBe(true);
      expect(m.message).toContain('07:00');
    }
  }, 90_000);
});
