/** The `clinic` command as a real process: flags, start-up, durability, clean shutdown. */
import { describe, expect, it } from 'vitest';
import { freePort, http, clinicScope } from '../support/clinic-process';
import { createTestDatabase, testDatabaseUrl } from '../support/postgres';

const { tempDir, start } = clinicScope('clinic-cli');

const ADMIN = ['--admin-user', 'boss', '--admin-password', 'boss-password-1'];

async function seedBooking(base: string) {
  const login = await http('POST', `${base}/api/v1/auth/token/`, {
    username: 'boss',
    password: 'boss-password-1',
  });
  const token = login.body.access as string;
  const facility = await http(
    'POST',
    `${base}/api/v1/facilities/`,
    { name: 'Hope', timezone: 'Africa/Nairobi' },
    token,
  );
  const provider = await http(
    'POST',
    `${base}/api/v1/users/`,
    {
      username: 'nurse',
      password: 'nurse-password',
      role: 'provider',
      user_type: 'nurse',
      facilities: [facility.body.id],
    },
    token,
  );
  const patient = await http(
    'POST',
    `${base}/api/v1/patients/`,
    { patient_id: 'MRN-1', first_name: 'A', last_name: 'B', registered_facility: facility.body.id },
    token,
  );
  const start = Date.now() + 86_400_000;
  const booked = await http(
    'POST',
    `${base}/api/v1/appointments/`,
    {
      patient: patient.body.id,
      provider: provider.body.id,
      facility: facility.body.id,
      appointment_type: 'antenatal',
      start_time: new Date(start).toISOString(),
      end_time: new Date(start + 1_800_000).toISOString(),
    },
    token,
  );
  return { token, booked };
}

describe('clinic CLI', () => {
  it('prints help, and refuses bad flags with exit code 2 and a clear message', async () => {
    const help = start(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain('clinic central --port P --data DIR');
    const bad = start(['edge', '--port', 'eighty', '--data', tempDir()]);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--port/);
    const missing = start(['central']);
    expect(await missing.exited).toBe(2);
    expect(missing.output()).toMatch(/--data DIR is required/);
    const unpaired = start(['edge', '--data', tempDir(), '--admin-user', 'x']);
    expect(await unpaired.exited).toBe(2);
    expect(help.output()).toContain('--central URL --token-file F');
    // Enrolling needs both; a central that is not there is named in the error.
    const half = start([
      'edge',
      '--port',
      '0',
      '--data',
      tempDir(),
      '--central',
      'http://127.0.0.1:9',
    ]);
    expect(await half.exited).toBe(2);
    expect(half.output()).toMatch(/needs both --central URL and --token T/);
    const away = start([
      'edge',
      '--port',
      '0',
      '--data',
      tempDir(),
      '--central',
      'http://127.0.0.1:9',
      '--token',
      `clinic-node.${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}.${'x'.repeat(43)}`,
    ]);
    expect(await away.exited).toBe(2);
    expect(away.output()).toMatch(/Cannot reach central at http:\/\/127\.0\.0\.1:9 to enroll/);
  });

  it('an edge node keeps a 201 through SIGKILL, and shuts down cleanly on SIGTERM', async () => {
    const data = tempDir();
    const port = await freePort();
    const first = start([
      'edge',
      '--port',
      String(port),
      '--data',
      data,
      ...ADMIN,
      '--log-level',
      'warn',
    ]);
    await first.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const base = `http://127.0.0.1:${port}`;
    const { booked } = await seedBooking(base);
    expect(booked.status).toBe(201);
    first.kill('SIGKILL'); // a power cut right after the 201
    expect(await first.exited).toBe('SIGKILL');

    const second = start([
      'edge',
      '--port',
      String(port),
      '--data',
      data,
      ...ADMIN,
      '--log-level',
      'warn',
    ]);
    await second.waitFor(/listening on/);
    const login = await http('POST', `${base}/api/v1/auth/token/`, {
      username: 'boss',
      password: 'boss-password-1',
    });
    const got = await http(
      'GET',
      `${base}/api/v1/appointments/${booked.body.id}/`,
      undefined,
      login.body.access,
    );
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: booked.body.id,
      status: 'scheduled',
      appointment_type: 'antenatal',
    });
    // The admin flags were harmless the second time: still one admin, same password.
    const users = await http(
      'GET',
      `${base}/api/v1/users/?role=admin`,
      undefined,
      login.body.access,
    );
    expect(users.body.count).toBe(1);

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('SIGTERM: shutting down');
  });

  it('says so when the port is taken', async () => {
    const port = await freePort();
    const a = start(['edge', '--port', String(port), '--data', tempDir()]);
    await a.waitFor(/listening on/);
    const b = start(['edge', '--port', String(port), '--data', tempDir()]);
    expect(await b.exited).toBe(1);
    expect(b.output()).toMatch(/EADDRINUSE|in use/);
    a.kill();
    await a.exited;
  });

  it('runs the demo: central and a clinic node with demo data, URLs and logins printed', async () => {
    const data = tempDir();
    const port = await freePort();
    const demo = start(['demo', '--port', String(port), '--data', data]);
    await demo.waitFor(/Press Ctrl\+C to stop/, 60_000);
    expect(demo.output()).toContain(`http://127.0.0.1:${port}`);
    expect(demo.output()).toContain(`http://127.0.0.1:${port + 1}`);
    expect(demo.output()).toContain('Demo data created on central.');
    const tokens: string[] = [];
    for (const p of [port, port + 1]) {
      // The clinic node gets its staff from central by sync: wait for the first pull.
      let login = { status: 0, body: {} as { access?: string } };
      for (let i = 0; i < 100 && login.status !== 200; i += 1) {
        login = await http('POST', `http://127.0.0.1:${p}/api/v1/auth/token/`, {
          username: 'dr.amina',
          password: 'clinic-demo-2026',
        });
        if (login.status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(login.status).toBe(200);
      tokens.push(login.body.access!);
      if (p === port + 1) {
        // Users arrive before appointments: finish a whole cycle before counting.
        const run = await http(
          'POST',
          `http://127.0.0.1:${p}/api/v1/sync/run/`,
          undefined,
          login.body.access,
        );
        expect(run.status).toBe(200);
      }
      const list = await http(
        'GET',
        `http://127.0.0.1:${p}/api/v1/appointments/upcoming/`,
        undefined,
        login.body.access,
      );
      expect(list.body.count).toBe(20);
    }
    // A booking on the clinic node reaches central through sync.
    const list = await http(
      'GET',
      `http://127.0.0.1:${port + 1}/api/v1/appointments/upcoming/`,
      undefined,
      tokens[1],
    );
    const first = list.body.results[0];
    const at = Date.parse(first.start_time) + 7 * 24 * 3_600_000;
    const booked = await http(
      'POST',
      `http://127.0.0.1:${port + 1}/api/v1/appointments/`,
      {
        patient: first.patient,
        provider: first.provider,
        facility: first.facility,
        appointment_type: 'consultation',
        reason: 'Booked on the clinic node',
        start_time: new Date(at).toISOString(),
        end_time: new Date(at + 1_800_000).toISOString(),
      },
      tokens[1],
    );
    expect(booked.status).toBe(201);
    const run = await http(
      'POST',
      `http://127.0.0.1:${port + 1}/api/v1/sync/run/`,
      undefined,
      tokens[1],
    );
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ online: true, pending_mutations: 0 });
    const onCentral = await http(
      'GET',
      `http://127.0.0.1:${port}/api/v1/appointments/${booked.body.id as string}/`,
      undefined,
      tokens[0],
    );
    expect(onCentral.status).toBe(200);
    const health = await http('GET', `http://127.0.0.1:${port}/healthz`);
    expect(health.body).toMatchObject({ role: 'central', database: 'pglite' });
    demo.kill('SIGINT');
    expect(await demo.exited).toBe(0);

    const again = start(['demo', '--port', String(port), '--data', data]);
    await again.waitFor(/Press Ctrl\+C to stop/, 60_000);
    expect(again.output()).toContain('Demo data already present.');
    again.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 120_000);

  const pgUrl = testDatabaseUrl('CLI central');
  it.skipIf(!pgUrl)(
    'runs central on a PostgreSQL server with --database-url',
    async () => {
      const db = await createTestDatabase(pgUrl!);
      try {
        const port = await freePort();
        const central = start([
          'central',
          '--port',
          String(port),
          '--data',
          tempDir(),
          '--database-url',
          db.url,
          ...ADMIN,
        ]);
        await central.waitFor(/central listening on .*database: postgres/);
        const base = `http://127.0.0.1:${port}`;
        const { booked } = await seedBooking(base);
        expect(booked.status).toBe(201);
        central.kill('SIGTERM');
        expect(await central.exited).toBe(0);
      } finally {
        await db.drop();
      }
    },
    60_000,
  );
});
