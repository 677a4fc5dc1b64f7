/** Tests of signing-key persistence: real files in a temp directory, real Ed25519. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { loadOrCreateSigningKey, publicJwks, SIGNING_KEY_FILE } from './keys';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinic-auth-keys-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOrCreateSigningKey', () => {
  it('creates an Ed25519 key on first use and reloads the same key later', async () => {
    const first = await loadOrCreateSigningKey(dir);
    expect(first.alg).toBe('EdDSA');
    expect(first.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String),
      kid: first.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(first.kid).toBe(
      await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: first.publicJwk.x! }),
    );

    const again = await loadOrCreateSigningKey(dir);
    expect(again.kid).toBe(first.kid);
    expect(again.publicJwk).toEqual(first.publicJwk);
  });

  it('stores the private JWK with mode 0600 and leaves no temp files', async () => {
    const key = await loadOrCreateSigningKey(dir);
    const path = join(dir, SIGNING_KEY_FILE);
    if (process.platform !== 'win32') {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    }
    expect(await readdir(join(dir, 'keys'))).toEqual(['signing-key.json']);
    const stored = JSON.parse(await readFile(path, 'utf8')) as JWK;
    expect(stored.kid).toBe(key.kid);
    expect(typeof stored.d).toBe('string');
  });

  it('gives concurrent first calls the same key', async () => {
    const keys = await Promise.all(Array.from({ length: 6 }, () => loadOrCreateSigningKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(await readdir(join(dir, 'keys'))).toEqual(['signing-key.json']);
    expect((await loadOrCreateSigningKey(dir)).kid).toBe(keys[0]!.kid);
  });

  it('gives different directories different keys', async () => {
    const other = await mkdtemp(join(tmpdir(), 'clinic-auth-keys-'));
    try {
      const [a, b] = await Promise.all([
        loadOrCreateSigningKey(dir),
        loadOrCreateSigningKey(other),
      ]);
      expect(a.kid).not.toBe(b.kid);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses a corrupt key file instead of silently replacing it', async () => {
    await loadOrCreateSigningKey(dir);
    const path = join(dir, SIGNING_KEY_FILE);
    const stored = JSON.parse(await readFile(path, 'utf8')) as JWK;
    const other = await mkdtemp(join(tmpdir(), 'clinic-auth-keys-'));
    try {
      const foreign = await loadOrCreateSigningKey(other);
      // d of one key with x of another: WebCrypto refuses the pair.
      await writeFile(path, JSON.stringify({ ...stored, x: foreign.publicJwk.x }));
      await expect(loadOrCreateSigningKey(dir)).rejects.toThrow();
      await writeFile(path, '{"kty":');
      await expect(loadOrCreateSigningKey(dir)).rejects.toThrow(/not valid JSON/);
      await writeFile(path, 'null');
      await expect(loadOrCreateSigningKey(dir)).rejects.toThrow(/JWK object/);
      await writeFile(path, JSON.stringify({ kty: 'oct', k: 'AAAA' }));
      await expect(loadOrCreateSigningKey(dir)).rejects.toThrow(/Ed25519/);
      expect(await readFile(path, 'utf8')).toContain('oct');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe('publicJwks', () => {
  it('publishes public keys only, from signing keys or JWKs', async () => {
    const key = await loadOrCreateSigningKey(dir);
    const privateJwk = JSON.parse(await readFile(join(dir, SIGNING_KEY_FILE), 'utf8')) as JWK;
    const fromKey = publicJwks([key]);
    const fromJwk = publicJwks([{ ...privateJwk, ext: true, key_ops: ['sign'] }]);
    expect(fromKey).toEqual({ keys: [key.publicJwk] });
    expect(fromJwk).toEqual(fromKey);
    for (const jwk of [...fromKey.keys, ...fromJwk.keys]) expect(jwk).not.toHaveProperty('d');
    expect(publicJwks([])).toEqual({ keys: [] });
  });
});
