/**
 * API fuzzer: requests generated from each node's own OpenAPI document (valid, then
 * mutated), as admin, provider, a patient-role user, nobody and a broken token, against a
 * clinic node (SQLite), central on PGlite and central on a PostgreSQL server. Properties:
 * tests/support/fuzz-oracles.ts. Seed and run count: tests/support/fuzz-settings.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { makeFuzzWorld, type FuzzWorld } from '../support/fuzz-fixtures';
import {
  apiRequestArbitrary,
  credentialsFor,
  operationsOf,
  writableFields,
  type FuzzRequest,
} from '../support/fuzz-openapi';
import { apiViolations } from '../support/fuzz-oracles';
import { FuzzRecorder, type Exchange, type Violation } from '../support/fuzz-recorder';
import { fcParameters, fuzzSettings, suiteTimeoutMs } from '../support/fuzz-settings';
import { fuzzTargets, startFuzzNode, type FuzzNode } from '../support/fuzz-runtime';

/** Requests per target in `npm test` (each target takes ~10 s for them here, ~8 s to set up). */
const RUNS = 4_000;
const MS_PER_RUN = 15;

const targets = fuzzTargets('API fuzz', [
  'edge/sqlite',
  'central/pglite',
  'central/postgres',
] as const);

async function send(world: FuzzWorld, r: FuzzRequest): Promise<Exchange> {
  // A mutation's own Cookie header (junk) goes with the actor's cookies, not instead.
  const credentials = credentialsFor(r, world);
  const headers = { ...r.headers, ...credentials };
  if (r.headers.Cookie && credentials.Cookie)
    headers.Cookie = `${r.headers.Cookie}; ${credentials.Cookie}`;
  const res = await world.node.send({ method: r.method, url: r.url, headers, body: r.body });
  return {
    actor: r.actor,
    method: r.method,
    url: r.url,
    route: r.route,
    mutation: r.mutation,
    requestHeaders: headers,
    requestBody: r.body,
    status: res.status,
    responseText: res.text,
    ms: res.ms,
    logLines: res.logLines,
  };
}

const WRITTEN =
  /^\/api\/v1\/(facilities|users|patients|appointments|nodes)\/?(?:[0-9a-fA-F-]{36}\/?)?(?:\?|$)/;

/**
 * Read-your-write: after a successful write, the resource as read back has the values the
 * write answered with (every key both show).
 */
async function readBack(
  world: FuzzWorld,
  recorder: FuzzRecorder,
  e: Exchange,
): Promise<Violation[]> {
  if (!['POST', 'PUT', 'PATCH'].includes(e.method) || (e.status !== 200 && e.status !== 201))
    return [];
  const resource = WRITTEN.exec(e.url)?.[1];
  let answer: Record<string, unknown> | undefined;
  try {
    answer = JSON.parse(e.responseText) as Record<string, unknown>;
  } catch {
    return [];
  }
  if (!resource || typeof answer?.id !== 'string') return [];
  const url = `/api/v1/${resource}/${answer.id}/`;
  const res = await world.node.send({
    method: 'GET',
    url,
    headers: { Authorization: `Bearer ${world.tokens.admin}` },
  });
  recorder.saw({
    ...e,
    method: 'GET',
    url,
    status: res.status,
    responseText: res.text,
    ms: res.ms,
    logLines: res.logLines,
  });
  if (res.status !== 200) {
    return [
      {
        property: 'read-back',
        message: `the written ${resource} reads back ${res.status}: ${res.text.slice(0, 200)}`,
        exchange: e,
      },
    ];
  }
  const stored = JSON.parse(res.text) as Record<string, unknown>;
  // Lists of ids are sets: their order is free, their members are not.
  const canonical = (v: unknown) =>
    JSON.stringify(Array.isArray(v) ? [...(v as unknown[])].map(String).sort() : v);
  const differs = Object.keys(answer)
    .filter((k) => k in stored && canonical(answer[k]) !== canonical(stored[k]))
    .map(
      (k) => `${k}: answered ${JSON.stringify(answer[k])}, reads back ${JSON.stringify(stored[k])}`,
    );
  return differs.length > 0
    ? [
        {
          property: 'read-back',
          message: `the write's answer is not what was stored: ${differs.join('; ')}`,
          exchange: e,
        },
      ]
    : [];
}

describe.each(targets)('API fuzz on %s', (target) => {
  let node: FuzzNode | undefined;
  let world: FuzzWorld;
  let doc: Parameters<typeof operationsOf>[0];

  beforeAll(async () => {
    process.stdout.write(`\nfuzz api/${target}: seed ${fuzzSettings.seed}\n`);
    node = await startFuzzNode(target);
    world = await makeFuzzWorld(node);
    const res = await node.send({ method: 'GET', url: '/api/v1/openapi.json', headers: {} });
    doc = JSON.parse(res.text) as typeof doc;
  });
  afterAll(async () => {
    await node?.close();
  });

  const runs = RUNS;
  it(
    'answers every generated request without a 5xx, internals, PII, an off-spec error or an auth bypass',
    async () => {
      const recorder = new FuzzRecorder(`api/${target}`);
      const auth = new Map(operationsOf(doc).map((op) => [`${op.method} ${op.template}`, op.auth]));
      const writable = writableFields(doc);
      try {
        await fc.assert(
          fc.asyncProperty(apiRequestArbitrary(doc, world), async (request) => {
            const exchange = await send(world, request);
            recorder.saw(exchange);
            const violations = apiViolations(exchange, {
              pii: world.pii,
              auth: auth.get(request.route) ?? true,
              writable,
            });
            violations.push(...(await readBack(world, recorder, exchange)));
            recorder.check(violations);
          }),
          fcParameters(runs, MS_PER_RUN),
        );
      } finally {
        process.stdout.write(`\n${recorder.summary()}\n`);
      }
      recorder.finish();
    },
    suiteTimeoutMs(runs, MS_PER_RUN),
  );
});
