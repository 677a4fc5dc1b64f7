/** Tests of the token service: real keys on disk, real signatures, an injected clock. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWK,
} from 'jose';
import { DomainError, ErrorCode, ROLES, type Clock } from '@clinic/domain';
import { loadOrCreateSigningKey, type SigningKey } from './keys';
import { createTokenService, INVALID_TOKEN_MESSAGE, type TokenService } from './tokens';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const user = {
  id: '0190a5c4-0000-7000-8000-000000000001',
  role: 'provider',
  username: 'nurse.joy',
} as const;

function testClock(start = T0): Clock & { advance(seconds: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(ErrorCode.NotAuthenticated);
  expect((error as DomainError).message).toBe(INVALID_TOKEN_MESSAGE);
  expect((error as DomainError).cause).toBeUndefined();
}

function b64json(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

function validClaims(key: SigningKey, nowMs = T0, overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(nowMs / 1000);
  return {
    sub: user.id,
    role: user.role,
    username: user.username,
    typ: 'access',
    iat,
    exp: iat + 900,
    jti: 'f2b3c1d0-0000-4000-8000-000000000000',
    iss: 'edge-a',
    ...overrides,
  };
}

const dirs: string[] = [];
let edgeKey: SigningKey;
let otherKey: SigningKey;
let centralKey: SigningKey;

beforeAll(async () => {
  const make = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clinic-auth-tokens-'));
    dirs.push(dir);
    return loadOrCreateSigningKey(dir);
  };
  [edgeKey, otherKey, centralKey] = await Promise.all([make(), make(), make()]);
});

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function edgeService(clock: Clock, extra: Partial<Parameters<typeof createTokenService>[0]> = {}) {
  return createTokenService({ signingKey: edgeKey, clock, issuer: 'edge-a', ...extra });
}

describe('issue / verify', () => {
  it('issues access and refresh tokens with the documented header and claims', async () => {
    const tokens = edgeService(testClock());
    const { access, refresh } = await tokens.issue(user);

    expect(decodeProtectedHeader(access)).toEqual({ alg: 'EdDSA', kid: edgeKey.kid, typ: 'JWT' });
    const iat = Math.floor(T0 / 1000);
    const accessClaims = await tokens.verify(access, 'access');
    expect(accessClaims).toEqual({
      sub: user.id,
      role: 'provider',
      username: 'nurse.joy',
      typ: 'access',
      iat,
      exp: iat + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iss: 'edge-a',
    });
    const refreshClaims = await tokens.verify(refresh, 'refresh');
    expect(refreshClaims.typ).toBe('refresh');
    expect(refreshClaims.exp).toBe(iat + 7 * 24 * 3600);
    expect(refreshClaims.jti).not.toBe(accessClaims.jti);
  });

  it('honours custom TTLs', async () => {
    const tokens = edgeService(testClock(), { accessTtlSeconds: 60, refreshTtlSeconds: 3600 });
    const { access, refresh } = await tokens.issue(user);
    expect(decodeJwt(access).exp! - decodeJwt(access).iat!).toBe(60);
    expect(decodeJwt(refresh).exp! - decodeJwt(refresh).iat!).toBe(3600);
  });

  it('rejects expired tokens by the injected clock', async () => {
    const clock = testClock();
    const tokens = edgeService(clock);
    const { access, refresh } = await tokens.issue(user);
    clock.advance(899);
    await expect(tokens.verify(access, 'access')).resolves.toMatchObject({ sub: user.id });
    clock.advance(1);
    await expectInvalid(tokens.verify(access, 'access'));
    await expect(tokens.verify(refresh, 'refresh')).resolves.toMatchObject({ typ: 'refresh' });
    clock.advance(7 * 24 * 3600);
    await expectInvalid(tokens.verify(refresh, 'refresh'));
  });

  it('applies clockToleranceSeconds to expiry', async () => {
    const clock = testClock();
    const tokens = edgeService(clock, { clockToleranceSeconds: 30 });
    const { access } = await tokens.issue(user);
    clock.advance(920);
    await expect(tokens.verify(access, 'access')).resolves.toBeTruthy();
    clock.advance(10);
    await expectInvalid(tokens.verify(access, 'access'));
  });

  it('does not accept a refresh token as access, nor the reverse', async () => {
    const tokens = edgeService(testClock());
    const { access, refresh } = await tokens.issue(user);
    await expectInvalid(tokens.verify(refresh, 'access'));
    await expectInvalid(tokens.verify(access, 'refresh'));
  });

  it('rejects garbage and tampered tokens', async () => {
    const tokens = edgeService(testClock());
    const { access } = await tokens.issue(user);
    const [header, payload, signature] = access.split('.') as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as object;
    const tampered = `${header}.${b64json({ ...claims, role: 'admin' })}.${signature}`;
    for (const token of [
      '',
      'x',
      'a.b.c',
      `${header}.${payload}`,
      `${header}.${payload}.`,
      `${header}.${payload}.${signature}.x`,
      tampered,
      `${access}x`,
      'A'.repeat(10_000),
      null as unknown as string,
    ]) {
      await expectInvalid(tokens.verify(token, 'access'));
    }
  });

  it('rejects alg=none tokens', async () => {
    const tokens = edgeService(testClock());
    const body = b64json(validClaims(edgeKey));
    await expectInvalid(tokens.verify(`${b64json({ alg: 'none' })}.${body}.`, 'access'));
    await expectInvalid(
      tokens.verify(`${b64json({ alg: 'none', kid: edgeKey.kid, typ: 'JWT' })}.${body}.`, 'access'),
    );
  });

  it('rejects a token signed by another key that claims our kid', async () => {
    const tokens = edgeService(testClock());
    const forged = await new SignJWT(validClaims(edgeKey))
      .setProtectedHeader({ alg: 'EdDSA', kid: edgeKey.kid, typ: 'JWT' })
      .sign(otherKey.privateKey);
    await expectInvalid(tokens.verify(forged, 'access'));
  });

  it('rejects tokens of unknown or missing kid', async () => {
    const tokens = edgeService(testClock());
    const other = await new SignJWT(validClaims(otherKey))
      .setProtectedHeader({ alg: 'EdDSA', kid: otherKey.kid })
      .sign(otherKey.privateKey);
    const noKid = await new SignJWT(validClaims(edgeKey))
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(edgeKey.privateKey);
    await expectInvalid(tokens.verify(other, 'access'));
    await expectInvalid(tokens.verify(noKid, 'access'));
  });

  it('checks the issuer of tokens signed by the own key', async () => {
    const clock = testClock();
    const impostor = createTokenService({ signingKey: edgeKey, clock, issuer: 'edge-b' });
    const { access } = await impostor.issue(user);
    await expectInvalid(edgeService(clock).verify(access, 'access'));
  });

  it('rejects tokens missing required claims or with claims of the wrong shape', async () => {
    const tokens = edgeService(testClock());
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: edgeKey.kid })
        .sign(edgeKey.privateKey);
    const { exp: _exp, ...noExp } = validClaims(edgeKey);
    const { jti: _jti, ...noJti } = validClaims(edgeKey);
    for (const claims of [
      noExp,
      noJti,
      validClaims(edgeKey, T0, { role: 'superuser' }),
      validClaims(edgeKey, T0, { sub: '' }),
      validClaims(edgeKey, T0, { username: 42 }),
      validClaims(edgeKey, T0, { typ: 'id' }),
      validClaims(edgeKey, T0, { exp: '9999999999' }),
    ]) {
      await expectInvalid(tokens.verify(await sign(claims), 'access'));
    }
    await expect(tokens.verify(await sign(validClaims(edgeKey)), 'access')).resolves.toBeTruthy();
  });

  it('property: any user round-trips through issue and verify', async () => {
    const tokens = edgeService(testClock());
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom(...ROLES),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        async (id, role, username) => {
          const { access, refresh } = await tokens.issue({ id, role, username });
          const a = await tokens.verify(access, 'access');
          const r = await tokens.verify(refresh, 'refresh');
          expect([a.sub, a.role, a.username]).toEqual([id, role, username]);
          expect([r.sub, r.role, r.username]).toEqual([id, role, username]);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('refresh', () => {
  it('issues a new access token with the same identity', async () => {
    const clock = testClock();
    const tokens = edgeService(clock);
    const { refresh } = await tokens.issue(user);
    clock.advance(3600);
    const seen: unknown[] = [];
    const result = await tokens.refresh(refresh, { authorize: (claims) => void seen.push(claims) });
    expect(result.claims).toMatchObject({ sub: user.id, typ: 'refresh' });
    expect(seen).toEqual([result.claims]);
    const access = await tokens.verify(result.access, 'access');
    expect(access).toMatchObject({ sub: user.id, role: user.role, username: user.username });
    expect(access.iat).toBe(Math.floor(T0 / 1000) + 3600);
  });

  it('rejects access tokens and expired refresh tokens', async () => {
    const clock = testClock();
    const tokens = edgeService(clock);
    const { access, refresh } = await tokens.issue(user);
    await expectInvalid(tokens.refresh(access));
    clock.advance(7 * 24 * 3600);
    await expectInvalid(tokens.refresh(refresh));
  });

  it('lets authorize veto, with its own error', async () => {
    const tokens = edgeService(testClock());
    const { refresh } = await tokens.issue(user);
    const inactive = new DomainError(ErrorCode.NotAuthenticated, 'User is inactive');
    await expect(
      tokens.refresh(refresh, {
        authorize: () => {
          throw inactive;
        },
      }),
    ).rejects.toBe(inactive);
  });
});

describe('trusted keys', () => {
  it("accepts a trusted node's tokens whatever their issuer, and no one else's", async () => {
    const clock = testClock();
    const central = createTokenService({ signingKey: centralKey, clock, issuer: 'central' });
    const trusting = edgeService(clock, { trustedKeys: central.jwks().keys });
    const distrusting = edgeService(clock);
    const { access, refresh } = await central.issue(user);

    await expect(trusting.verify(access, 'access')).resolves.toMatchObject({
      sub: user.id,
      iss: 'central',
    });
    await expectInvalid(distrusting.verify(access, 'access'));
    // The trusted token is still typed and timed.
    await expectInvalid(trusting.verify(refresh, 'access'));
    const { access: edgeAccess } = await trusting.refresh(refresh);
    await expect(trusting.verify(edgeAccess, 'access')).resolves.toMatchObject({ iss: 'edge-a' });
    // Trust is one-way: central does not accept the edge's tokens.
    await expectInvalid(central.verify(edgeAccess, 'access'));
    clock.advance(900);
    await expectInvalid(trusting.verify(access, 'access'));
  });

  it('accepts ES256 trusted keys and rejects algorithm confusion', async () => {
    const clock = testClock();
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'hsm-1' };
    const tokens = edgeService(clock, { trustedKeys: [jwk] });
    const es256 = await new SignJWT(validClaims(edgeKey, T0, { iss: 'central' }))
      .setProtectedHeader({ alg: 'ES256', kid: 'hsm-1' })
      .sign(privateKey);
    await expect(tokens.verify(es256, 'access')).resolves.toMatchObject({ iss: 'central' });

    // HS256 "signed" with the public key as a secret, the classic confusion attack.
    const hs256 = await new SignJWT(validClaims(edgeKey))
      .setProtectedHeader({ alg: 'HS256', kid: 'hsm-1' })
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    await expectInvalid(tokens.verify(hs256, 'access'));
    // An EdDSA header pointing at the ES256 key.
    const wrongAlg = await new SignJWT(validClaims(edgeKey))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'hsm-1' })
      .sign(edgeKey.privateKey);
    await expectInvalid(tokens.verify(wrongAlg, 'access'));
  });

  it('refuses bad trusted keys at construction', () => {
    const clock = testClock();
    const { kid: _kid, ...noKid } = centralKey.publicJwk;
    expect(() => edgeService(clock, { trustedKeys: [noKid] })).toThrow(TypeError);
    expect(() =>
      edgeService(clock, { trustedKeys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }] }),
    ).toThrow(TypeError);
    expect(() =>
      edgeService(clock, { trustedKeys: [{ ...centralKey.publicJwk, use: 'enc' }] }),
    ).toThrow(TypeError);
    expect(() =>
      edgeService(clock, { trustedKeys: [{ ...centralKey.publicJwk, kid: edgeKey.kid }] }),
    ).toThrow(/share kid/);
    expect(() => edgeService(clock, { accessTtlSeconds: 0 })).toThrow(TypeError);
    // The own key listed among trusted keys is harmless.
    expect(() => edgeService(clock, { trustedKeys: [edgeKey.publicJwk] })).not.toThrow();
  });
});

describe('jwks', () => {
  it('publishes the own public key only', () => {
    const tokens: TokenService = edgeService(testClock(), {
      trustedKeys: [centralKey.publicJwk],
    });
    expect(tokens.jwks()).toEqual({ keys: [edgeKey.publicJwk] });
    expect(tokens.jwks().keys[0]).not.toHaveProperty('d');
  });
});
