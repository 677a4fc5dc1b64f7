/**
 * Enrollment of a clinic node (sync/SPEC.md section 6): on first start with `--central URL
 * --token T`, the node asks central who it is and keeps the answer (central's URL, the
 * token, its node id, facilities and central's public keys) in its own metadata, so
 * later starts need only `--data`.
 */
import { PROTOCOL_VERSION, enrollmentResponse, type EnrollmentResponse } from '../protocol';

export const META = {
  nodeId: 'node_id',
  centralUrl: 'sync.central_url',
  token: 'sync.token',
  nodeName: 'sync.node_name',
  facilities: 'sync.facilities',
  centralKeys: 'sync.central_keys',
  centralNodeId: 'sync.central_node_id',
  lastPushAt: 'sync.last_push_at',
  lastPullAt: 'sync.last_pull_at',
  lastSuccessAt: 'sync.last_success_at',
} as const;

export interface MetaStore {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

export interface Enrollment {
  centralUrl: string;
  token: string;
  nodeId: string;
  name: string;
  facilities: string[];
  centralKeys: { keys: Record<string, unknown>[] };
}

export class EnrollmentError extends Error {
  override name = 'EnrollmentError';
}

/** Calls central's enrollment endpoint with the node token. */
export async function fetchEnrollment(
  centralUrl: string,
  token: string,
  fetchImpl: typeof fetch = fetch,
): Promise<EnrollmentResponse> {
  const url = `${centralUrl.replace(/\/+$/, '')}/sync/v${PROTOCOL_VERSION}/enrollment`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new EnrollmentError(
      `Cannot reach central at ${centralUrl} to enroll: ${(error as Error).message}`,
    );
  }
  if (response.status === 401) {
    throw new EnrollmentError('Central refused the node token (unknown or revoked).');
  }
  if (!response.ok) {
    throw new EnrollmentError(`Central answered ${response.status} to the enrollment request.`);
  }
  const parsed = enrollmentResponse.safeParse(await response.json());
  if (!parsed.success) throw new EnrollmentError('Central sent a malformed enrollment answer.');
  return parsed.data;
}

/**
 * Returns the node's enrollment: read from its metadata, or made now with `--central`
 * and `--token` on first start. Undefined for a node that was never enrolled (it runs
 * standalone; its outbox keeps every write for the day it is).
 */
export async function ensureEnrollment(
  meta: MetaStore,
  options: { centralUrl?: string | undefined; token?: string | undefined },
  fetchImpl: typeof fetch = fetch,
): Promise<Enrollment | undefined> {
  const stored = await readEnrollment(meta);
  if (stored) {
    if (options.token && options.token !== stored.token) {
      throw new EnrollmentError(
        `This data directory is already enrolled as node "${stored.name}" (${stored.nodeId}). ` +
          'Start it without --token, or use a new --data directory for a new node.',
      );
    }
    if (options.centralUrl && options.centralUrl !== stored.centralUrl) {
      await meta.setMeta(META.centralUrl, options.centralUrl);
      return { ...stored, centralUrl: options.centralUrl };
    }
    return stored;
  }
  if (!options.centralUrl && !options.token) return undefined;
  if (!options.centralUrl || !options.token) {
    throw new EnrollmentError('Enrolling a node needs both --central URL and --token T.');
  }
  const answer = await fetchEnrollment(options.centralUrl, options.token, fetchImpl);
  if (answer.last_applied_seq > 0) {
    throw new EnrollmentError(
      'Central already has changes from this node token: it belongs to a node that has ' +
        'synced before. Start that node from its own data directory.',
    );
  }
  // A node that ran standalone before keeps its rows (their origin_node stays) and its
  // outbox (pushed now); from here on it writes as the node central knows.
  await meta.setMeta(META.nodeId, answer.node.id);
  await meta.setMeta(META.centralKeys, JSON.stringify(answer.central.keys));
  await meta.setMeta(META.centralNodeId, answer.central.node_id);
  await meta.setMeta(META.nodeName, answer.node.name);
  await meta.setMeta(META.facilities, JSON.stringify(answer.node.facilities));
  await meta.setMeta(META.token, options.token);
  // Written last: a crash before this line leaves the node unenrolled, to be retried.
  await meta.setMeta(META.centralUrl, options.centralUrl);
  return {
    centralUrl: options.centralUrl,
    token: options.token,
    nodeId: answer.node.id,
    name: answer.node.name,
    facilities: answer.node.facilities,
    centralKeys: answer.central.keys,
  };
}

export async function readEnrollment(meta: MetaStore): Promise<Enrollment | undefined> {
  const centralUrl = await meta.getMeta(META.centralUrl);
  const token = await meta.getMeta(META.token);
  const nodeId = await meta.getMeta(META.nodeId);
  if (!centralUrl || !token || !nodeId) return undefined;
  return {
    centralUrl,
    token,
    nodeId,
    name: (await meta.getMeta(META.nodeName)) ?? '',
    facilities: JSON.parse((await meta.getMeta(META.facilities)) ?? '[]') as string[],
    centralKeys: JSON.parse((await meta.getMeta(META.centralKeys)) ?? '{"keys":[]}') as {
      keys: Record<string, unknown>[];
    },
  };
}
