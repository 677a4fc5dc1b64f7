/**
 * A central for the push fuzzer, made through central's own API as admin: a home
 * facility (the fuzzed node's scope) and a foreign one, each with staff, patients and an
 * appointment (the foreign ones with distinctive names, phones, emails, MRN and reason:
 * none of them may ever reach the node), the fuzzed node, a second node of the same
 * facility and a revoked one; and the calls the push oracles need (push, node position).
 */
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { apiCall, loginAs, person, piiOf, type Json } from './fuzz-fixtures';
import { FUZZ_ADMIN, FUZZ_NOW, type FuzzNode, type RawResponse } from './fuzz-runtime';

const HOUR = 3_600_000;

export interface EnrolledNode {
  id: string;
  token: string;
  facilities: string[];
}

export interface PushWorld {
  node: FuzzNode;
  admin: string;
  home: {
    facility: string;
    providers: string[];
    patients: string[];
    /** MRNs of home patients (a duplicate MRN is a constraint the push must survive). */
    mrns: string[];
    appointments: string[];
  };
  foreign: {
    facility: string;
    provider: string;
    patient: string;
    appointment: string;
    /** Ids of the notifications central queued for the foreign appointment. */
    notifications: string[];
    /** What must never be in an answer to the node: names, phones, emails, MRN, reason. */
    secrets: string[];
  };
  /** The node the fuzzer pushes as (scope: the home facility). */
  fuzzed: EnrolledNode;
  /** Another node of the home facility (its token with the fuzzed node's id: 403). */
  sibling: EnrolledNode;
  revokedToken: string;
  adminUserId: string;
}

export async function makePushWorld(node: FuzzNode): Promise<PushWorld> {
  const admin = (await loginAs(node, FUZZ_ADMIN.username, FUZZ_ADMIN.password)).access;
  const post = async (url: string, body: unknown) =>
    (await apiCall(node, 'POST', url, { body, token: admin, expect: 201 })).body as Json;
  const tag = randomBytes(3).toString('hex');
  const home = await post('/api/v1/facilities/', {
    name: `Home ${tag}`,
    timezone: 'Africa/Nairobi',
    capacity: 2,
  });
  const away = await post('/api/v1/facilities/', {
    name: `Away ${tag}`,
    timezone: 'Africa/Nairobi',
  });

  const secrets: string[] = [];
  const staff = async (facilities: string[], secret: boolean) => {
    const p = person('Staff');
    if (secret) secrets.push(...piiOf(p));
    return post('/api/v1/users/', {
      ...p,
      username: `fuzz.push.${randomBytes(4).toString('hex')}`,
      password: 'fuzz-staff-password-1',
      role: 'provider',
      user_type: 'doctor',
      facilities,
    });
  };
  const homeDoctor = await staff([home.id], false);
  const both = await staff([home.id, away.id], false);
  const awayDoctor = await staff([away.id], true);

  const patient = async (facility: string | null, secret: boolean) => {
    const p = { ...person('Patient'), patient_id: `MRN-PF-${randomBytes(4).toString('hex')}` };
    if (secret) secrets.push(...piiOf(p));
    return post('/api/v1/patients/', { ...p, registered_facility: facility });
  };
  const homePatients = [
    await patient(home.id, false),
    await patient(home.id, false),
    await patient(null, false),
  ];
  const awayPatient = await patient(away.id, true);

  const book = (p: Json, provider: Json, facility: Json, hours: number, reason: string) =>
    post('/api/v1/appointments/', {
      patient: p.id,
      provider: provider.id,
      facility: facility.id,
      appointment_type: 'consultation',
      reason,
      start_time: new Date(FUZZ_NOW + hours * HOUR).toISOString(),
      end_time: new Date(FUZZ_NOW + (hours + 1) * HOUR).toISOString(),
    });
  const homeAppointments = [
    await book(homePatients[0], homeDoctor, home, 30, 'home visit'),
    await book(homePatients[1], both, home, 31, 'home check'),
  ];
  const awayReason = `foreign-reason-${randomBytes(4).toString('hex')}`;
  secrets.push(awayReason);
  const awayAppointment = await book(awayPatient, awayDoctor, away, 30, awayReason);
  const queued = await apiCall(
    node,
    'GET',
    `/api/v1/notifications/?appointment=${awayAppointment.id}`,
    {
      token: admin,
      expect: 200,
    },
  );

  const enroll = async (name: string) => {
    const n = await post('/api/v1/nodes/', { name, facilities: [home.id] });
    return { id: n.id as string, token: n.token as string, facilities: [home.id as string] };
  };
  const fuzzed = await enroll('fuzzed clinic');
  const sibling = await enroll('sibling clinic');
  const revoked = await enroll('revoked clinic');
  await apiCall(node, 'DELETE', `/api/v1/nodes/${revoked.id}/`, { token: admin, expect: 204 });
  const me = await apiCall(node, 'GET', `/api/v1/users/?search=${FUZZ_ADMIN.username}`, {
    token: admin,
    expect: 200,
  });

  return {
    node,
    admin,
    home: {
      facility: home.id,
      providers: [homeDoctor.id, both.id],
      patients: homePatients.map((p) => p.id),
      mrns: homePatients.map((p) => p.patient_id),
      appointments: homeAppointments.map((a) => a.id),
    },
    foreign: {
      facility: away.id,
      provider: awayDoctor.id,
      patient: awayPatient.id,
      appointment: awayAppointment.id,
      notifications: (queued.body.results as Json[]).map((n) => n.id),
      secrets,
    },
    fuzzed,
    sibling,
    revokedToken: revoked.token,
    adminUserId: (me.body.results as Json[])[0]?.id ?? homeDoctor.id,
  };
}

/** Central's position for a node (`last_applied_seq`), through the nodes API. */
export async function lastAppliedSeq(world: PushWorld, nodeId: string): Promise<number> {
  const res = await apiCall(world.node, 'GET', `/api/v1/nodes/${nodeId}/`, {
    token: world.admin,
    expect: 200,
  });
  return res.body.last_applied_seq as number;
}

/** A push as a node sends it: gzip, JSON, its token. */
export function pushAsNode(
  world: PushWorld,
  node: EnrolledNode,
  payload: unknown,
  version = 3,
): Promise<RawResponse> {
  return world.node.send({
    method: 'POST',
    url: `/sync/v${version}/push`,
    headers: {
      Authorization: `Bearer ${node.token}`,
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
    },
    body: gzipSync(JSON.stringify(payload)),
  });
}
