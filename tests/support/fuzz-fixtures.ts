/**
 * Reference data the fuzzers aim at, made through the node's own API as admin: two
 * facilities, staff, patients, appointments (and on central an enrolled node), with
 * names, phones, emails and MRNs distinctive enough to search for in every error body and
 * log line (`pii`). The tokens of each role the fuzzers act as.
 */
import { randomBytes } from 'node:crypto';
import { FUZZ_ADMIN, FUZZ_NOW, type FuzzNode } from './fuzz-runtime';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
export type Json = any;

export const FUZZ_PASSWORD = 'fuzz-staff-password-1';
const HOUR = 3_600_000;

/** Calls the node's API with a JSON body; throws unless the status is `expect`. */
export async function apiCall(
  node: FuzzNode,
  method: string,
  url: string,
  options: { body?: unknown; token?: string; expect?: number } = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await node.send({ method, url, headers, body });
  const parsed: Json = res.text ? JSON.parse(res.text) : null;
  if (options.expect !== undefined && res.status !== options.expect) {
    throw new Error(`${method} ${url}: ${res.status} ${res.text.slice(0, 500)}`);
  }
  return { status: res.status, body: parsed };
}

export async function loginAs(node: FuzzNode, username: string, password: string) {
  const res = await apiCall(node, 'POST', '/api/v1/auth/token/', {
    body: { username, password },
    expect: 200,
  });
  return res.body as { access: string; refresh: string };
}

/** A person's identifying values, distinctive (a random tag in each). */
export function person(kind: string) {
  const tag = randomBytes(4).toString('hex');
  const digits = String(parseInt(tag, 16) % 100_000_000).padStart(8, '0');
  return {
    first_name: `${kind}Zawadi${tag}`,
    last_name: `Mwangi${tag}`,
    phone_number: `+2547${digits}`,
    email: `${kind.toLowerCase()}.${tag}@fixture.example`,
  };
}

/** The identifying values of a person, as the PII oracle searches for them. */
export function piiOf(p: {
  first_name: string;
  last_name: string;
  phone_number: string;
  email: string;
  patient_id?: string;
}): string[] {
  return [
    p.first_name,
    p.last_name,
    p.phone_number,
    p.email,
    ...(p.patient_id ? [p.patient_id] : []),
  ];
}

export interface FuzzWorld {
  node: FuzzNode;
  tokens: { admin: string; provider: string; patient: string; refresh: string };
  /** An admin's web session: its cookies (one Cookie header) and CSRF token. */
  session: { cookie: string; csrf: string };
  /** Ids the generators pick from, by resource. Acting users are left out (so the fuzzer
   * cannot lock itself out); everything here may be changed or deleted by a request. */
  ids: {
    facilities: string[];
    users: string[];
    patients: string[];
    appointments: string[];
    notifications: string[];
    conflicts: string[];
    nodes: string[];
  };
  /** Identifying values of every person made here. */
  pii: string[];
}

export async function makeFuzzWorld(node: FuzzNode): Promise<FuzzWorld> {
  const admin = (await loginAs(node, FUZZ_ADMIN.username, FUZZ_ADMIN.password)).access;
  const post = async (url: string, body: unknown) =>
    (await apiCall(node, 'POST', url, { body, token: admin, expect: 201 })).body;
  const pii: string[] = [];

  const facilities: Json[] = [];
  for (const [i, name] of ['Hope', 'River', 'Closed'].entries()) {
    facilities.push(
      await post('/api/v1/facilities/', {
        name: `${name} Fuzz Clinic ${randomBytes(3).toString('hex')}`,
        timezone: ['Africa/Nairobi', 'Asia/Kathmandu', 'America/St_Johns'][i],
        capacity: i + 1,
        is_active: i < 2,
      }),
    );
  }
  const [f1, f2] = facilities;

  const makeUser = async (role: string, userType: string, facility: string[], active = true) => {
    const p = person(role === 'patient' ? 'Portal' : 'Staff');
    pii.push(...piiOf(p));
    return post('/api/v1/users/', {
      ...p,
      username: `fuzz.${role}.${randomBytes(3).toString('hex')}`,
      password: FUZZ_PASSWORD,
      role,
      user_type: userType,
      facilities: facility,
      is_active: active,
    });
  };
  const actingProvider = await makeUser('provider', 'doctor', [f1.id]);
  const portalUser = await makeUser('patient', 'admin', []);
  const providers = [
    await makeUser('provider', 'doctor', [f1.id]),
    await makeUser('provider', 'nurse', [f1.id, f2.id]),
    await makeUser('provider', 'community_worker', [f2.id]),
    await makeUser('provider', 'pharmacist', [f2.id]),
    await makeUser('provider', 'midwife', [f2.id], false),
  ];

  const patients: Json[] = [];
  for (const [i, facility] of [f1.id, f1.id, f2.id, null, f1.id].entries()) {
    const p = { ...person('Patient'), patient_id: `MRN-FZ-${randomBytes(4).toString('hex')}` };
    pii.push(...piiOf(p));
    patients.push(
      await post('/api/v1/patients/', { ...p, registered_facility: facility, is_active: i !== 4 }),
    );
  }

  const appointments: Json[] = [];
  const book = async (patient: Json, provider: Json, facility: Json, hours: number) =>
    post('/api/v1/appointments/', {
      patient: patient.id,
      provider: provider.id,
      facility: facility.id,
      appointment_type: 'consultation',
      reason: 'fuzz fixture',
      start_time: new Date(FUZZ_NOW + hours * HOUR).toISOString(),
      end_time: new Date(FUZZ_NOW + (hours + 1) * HOUR).toISOString(),
    });
  appointments.push(await book(patients[0], providers[0], f1, 24));
  appointments.push(await book(patients[1], providers[1], f1, 26));
  appointments.push(await book(patients[2], providers[2], f2, 24));
  appointments.push(await book(patients[0], providers[0], f1, 48));
  await apiCall(node, 'POST', `/api/v1/appointments/${appointments[3].id}/cancel/`, {
    token: admin,
    expect: 200,
  });
  appointments.push(await book(patients[1], providers[0], f1, 50));
  await apiCall(node, 'POST', `/api/v1/appointments/${appointments[4].id}/complete/`, {
    token: admin,
    expect: 200,
  });

  const nodes: string[] = [];
  if (node.runtime.deps.nodes) {
    nodes.push((await post('/api/v1/nodes/', { name: 'fuzz clinic', facilities: [f1.id] })).id);
  }
  const queued = await apiCall(node, 'GET', '/api/v1/notifications/?page_size=100', {
    token: admin,
    expect: 200,
  });

  const providerLogin = await loginAs(node, actingProvider.username, FUZZ_PASSWORD);
  const session = await node.send({
    method: 'POST',
    url: '/api/v1/auth/session/',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: FUZZ_ADMIN.username, password: FUZZ_ADMIN.password }),
  });
  if (session.status !== 200) throw new Error(`session: ${session.status} ${session.text}`);
  const cookie = session.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return {
    session: { cookie, csrf: (JSON.parse(session.text) as Json).csrf_token as string },
    node,
    tokens: {
      admin,
      provider: providerLogin.access,
      patient: (await loginAs(node, portalUser.username, FUZZ_PASSWORD)).access,
      refresh: providerLogin.refresh,
    },
    ids: {
      facilities: facilities.map((f) => f.id),
      users: providers.map((p) => p.id),
      patients: patients.map((p) => p.id),
      appointments: appointments.map((a) => a.id),
      notifications: (queued.body.results as Json[]).slice(0, 6).map((n) => n.id),
      conflicts: [],
      nodes,
    },
    pii,
  };
}
