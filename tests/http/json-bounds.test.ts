/**
 * JSON bodies are checked for nesting depth and value count before they are parsed
 * (domain/json-bounds.ts): on the public API (a 400 `{detail}` like a malformed body) and
 * on central's push route, where a 10 KB gzip body inflating to 16 MB of nested brackets
 * used to hold the event loop for seconds. The costs are measured in bench/parse-cost.ts;
 * here, that such bodies are refused, and refused before JSON.parse sees them.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  startCentralWithNode,
  startClinicServer,
  type CentralWithNode,
  type ClinicServer,
} from './http-harness';

let clinic: ClinicServer;
let central: CentralWithNode;

beforeAll(async () => {
  [clinic, central] = await Promise.all([startClinicServer(), startCentralWithNode()]);
});

afterAll(async () => {
  await Promise.all([clinic?.close(), central?.close()]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const nestedArrays = (bytes: number) => '['.repeat(bytes / 2) + ']'.repeat(bytes / 2);
const nestedObjects = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/** Watches JSON.parse: did it ever get a text this long? */
function watchParse(): () => number {
  const parse = vi.spyOn(JSON, 'parse');
  return () =>
    Math.max(0, ...parse.mock.calls.map(([text]) => (typeof text === 'string' ? text.length : 0)));
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('API request bodies', () => {
  const login = () => `${clinic.url}/api/v1/auth/token/`;
  const json = { 'content-type': 'application/json' };

  it('refuses 1 MB of nested arrays with a 400 before parsing it', async () => {
    const longestParsed = watchParse();
    const res = await post(login(), nestedArrays(1_000_000), json);
    expect(res).toEqual({
      status: 400,
      body: { detail: 'JSON nesting is too deep (the limit is 32 levels).' },
    });
    expect(longestParsed()).toBeLessThan(1_000);
  });

  it('refuses nested objects one level past the limit, and takes them at the limit', async () => {
    const deep = await post(login(), nestedObjects(33), json);
    expect(deep.status).toBe(400);
    expect(deep.body).toEqual({ detail: 'JSON nesting is too deep (the limit is 32 levels).' });
    // At 32 levels the body is parsed and validated: the fields are missing.
    const ok = await post(login(), nestedObjects(32), json);
    expect(ok.status).toBe(400);
    expect(ok.body).toMatchObject({ username: ['This field is required.'] });
  });

  it('refuses a body of too many values', async () => {
    const longestParsed = watchParse();
    const wide = JSON.stringify({ username: 'a', password: 'b', pad: new Array(20_000).fill(0) });
    const res = await post(login(), wide, json);
    expect(res).toEqual({
      status: 400,
      body: { detail: 'JSON holds too many values (the limit is 10000).' },
    });
    expect(longestParsed()).toBeLessThan(1_000);
  });

  it('still answers a malformed body as before', async () => {
    const res = await post(login(), '{"username": "a", ', json);
    expect(res).toEqual({ status: 400, body: { detail: 'Malformed JSON in request body' } });
  });
});

describe("central's push route", () => {
  const push = () => `${central.url}/sync/v3/push`;
  const auth = () => ({
    'content-type': 'application/json',
    authorization: `Bearer ${central.nodeToken}`,
  });

  it('refuses a gzip bomb of nested brackets before parsing it, and /healthz answers meanwhile', async () => {
    const longestParsed = watchParse();
    const bomb = gzipSync(nestedArrays(16 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(20_000);
    const [res, health] = await Promise.all([
      post(push(), bomb, { ...auth(), 'content-encoding': 'gzip' }),
      fetch(`${central.url}/healthz`).then((r) => r.status),
    ]);
    expect(res).toEqual({
      status: 400,
      body: { detail: 'JSON nesting is too deep (the limit is 32 levels).' },
    });
    expect(health).toBe(200);
    expect(longestParsed()).toBeLessThan(100_000);
  });

  it('refuses nested objects sent without gzip', async () => {
    const res = await post(push(), nestedObjects(10_000), auth());
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: 'JSON nesting is too deep (the limit is 32 levels).' });
  });

  it('refuses a wide gzip bomb (millions of values) before parsing it', async () => {
    const longestParsed = watchParse();
    const values = `{"protocol_version":3,"mutations":[${'0,'.repeat(2_000_000)}0]}`;
    const res = await post(push(), gzipSync(values), { ...auth(), 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: expect.stringMatching(/^JSON holds too many values/) });
    expect(longestParsed()).toBeLessThan(100_000);
  });

  it('answers 413 to a body that inflates past 16 MB', async () => {
    const spaces = gzipSync(Buffer.alloc(17 * 1024 * 1024, 0x20));
    const res = await post(push(), spaces, { ...auth(), 'content-encoding': 'gzip' });
    expect(res).toEqual({ status: 413, body: { detail: 'Push batch too large.' } });
  });

  it('still parses and validates a well-formed push', async () => {
    const body = gzipSync(
      JSON.stringify({ protocol_version: 3, node_id: central.nodeId, backlog: 0, mutations: [] }),
    );
    const res = await fetch(push(), {
      method: 'POST',
      headers: { ...auth(), 'content-encoding': 'gzip' },
      body,
    });
    expect(res.status).toBe(200);
  });
});
