/**
 * Access and refresh tokens: JWTs signed with the node's own key, verified
 * against the own key plus keys of trusted nodes (e.g. central's, so an edge
 * accepts central's tokens while offline).
 *
 * Issuer rule: a token signed by the node's own key must carry this service's
 * `issuer`; a token signed by a trusted key only needs some `iss`, whatever it
 * is. Trust is granted per key, so the key already says who issued the token,
 * and an edge must not need to know central's issuer string in advance.
 *
 * Every verification failure throws the same DomainError with the same message
 * (no cause attached): callers, logs and clients learn nothing about why.
 */
import { randomUUID } from 'node:crypto';
import {
  decodeProtectedHeader,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import { DomainError, ErrorCode, ROLES, type Clock, type Role } from '@clinic/domain';
import { publicJwks, toPublicJwk, type JwksDocument, type SigningKey } from './keys';

/** The message of every token failure; the same text as DRF simplejwt's. */
export const INVALID_TOKEN_MESSAGE = 'Given token not valid for any token type';

/** JWS algorithms accepted on verification. Anything else (including `none`) is rejected. */
export const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256'] as const;
type AcceptedAlgorithm = (typeof ACCEPTED_ALGORITHMS)[number];

/** Default lifetime of an access token: 15 minutes. */
export const DEFAULT_ACCESS_TTL_SECONDS = 900;
/** Default lifetime of a refresh token: 7 days. */
export const DEFAULT_REFRESH_TTL_SECONDS = 7 * 24 * 3600;

// Tokens are small; anything bigger is not ours and is not worth parsing.
const MAX_TOKEN_LENGTH = 8192;

/** Which kind of token: `access` authorizes requests, `refresh` only mints access tokens. */
export type TokenType = 'access' | 'refresh';

/** The verified claims of a token. Times are epoch seconds. */
export interface TokenClaims {
  /** The user id. */
  sub: string;
  role: Role;
  username: string;
  typ: TokenType;
  iat: number;
  exp: number;
  /** Random token id (UUID), usable for a deny list. */
  jti: string;
  iss: string;
}

/** The user facts that go into a token. */
export interface TokenUser {
  id: string;
  role: Role;
  username: string;
}

/** Options of {@link createTokenService}. */
export interface TokenServiceOptions {
  /** This node's key: signs every token issued here. */
  signingKey: SigningKey;
  /** Extra public keys whose tokens are accepted (e.g. central's). Each needs a `kid`. */
  trustedKeys?: JWK[];
  clock: Clock;
  /** `iss` of tokens issued here, required on tokens signed by the own key. */
  issuer: string;
  /** Default 900 (15 minutes). */
  accessTtlSeconds?: number;
  /** Default 604800 (7 days). */
  refreshTtlSeconds?: number;
  /** Leeway for `exp` when clocks of nodes disagree. Default 0. */
  clockToleranceSeconds?: number;
}

/** Options of {@link TokenService.refresh}. */
export interface RefreshOptions {
  /**
   * Runs after the refresh token is verified and before the access token is
   * issued, e.g. to check that the user still exists and is active. Whatever it
   * throws propagates unchanged and no access token is issued.
   */
  authorize?: (claims: TokenClaims) => void | Promise<void>;
}

/** Issues and verifies the node's JWTs. Create with {@link createTokenService}. */
export interface TokenService {
  /** Issues an access and a refresh token for `user`. */
  issue(user: TokenUser): Promise<{ access: string; refresh: string }>;
  /**
   * Verifies a refresh token and issues a new access token with the same
   * sub/role/username. Returns the refresh token's claims too.
   * @throws DomainError(NotAuthenticated) when the refresh token is not valid.
   */
  refresh(
    refreshToken: string,
    options?: RefreshOptions,
  ): Promise<{ access: string; claims: TokenClaims }>;
  /**
   * Verifies signature (key chosen by the header `kid` among own and trusted
   * keys), algorithm, expiry (on the injected clock), issuer (own key only),
   * claim shapes and that the token is of type `typ`.
   * @throws DomainError(NotAuthenticated, INVALID_TOKEN_MESSAGE) on any failure.
   */
  verify(token: string, typ: TokenType): Promise<TokenClaims>;
  /** The JWKS document of the key(s) this service signs with. */
  jwks(): JwksDocument;
}

interface VerificationKey {
  alg: AcceptedAlgorithm;
  jwk: JWK;
  own: boolean;
  imported?: Promise<CryptoKey>;
}

function isAccepted(alg: unknown): alg is AcceptedAlgorithm {
  return (ACCEPTED_ALGORITHMS as readonly unknown[]).includes(alg);
}

function algorithmOf(jwk: JWK): AcceptedAlgorithm | undefined {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string') return 'EdDSA';
  if (
    jwk.kty === 'EC' &&
    jwk.crv === 'P-256' &&
    typeof jwk.x === 'string' &&
    typeof jwk.y === 'string'
  ) {
    return 'ES256';
  }
  return undefined;
}

function sameKeyMaterial(a: JWK, b: JWK): boolean {
  return a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer`);
  }
  return value;
}

function buildKeyTable(
  signingKey: SigningKey,
  trustedKeys: readonly JWK[],
): Map<string, VerificationKey> {
  const table = new Map<string, VerificationKey>();
  const add = (input: JWK, own: boolean): void => {
    if (typeof input !== 'object' || input === null)
      throw new TypeError('trusted key must be a JWK');
    const jwk = toPublicJwk(input);
    const kid = jwk.kid;
    if (typeof kid !== 'string' || kid.length === 0) {
      throw new TypeError('every trusted key needs a "kid"');
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      throw new TypeError(`key ${kid} is not a signature key`);
    }
    const alg = algorithmOf(jwk);
    if (alg === undefined || (jwk.alg !== undefined && jwk.alg !== alg)) {
      throw new TypeError(`key ${kid} is not an Ed25519 (EdDSA) or P-256 (ES256) public key`);
    }
    const known = table.get(kid);
    if (known) {
      if (!sameKeyMaterial(known.jwk, jwk)) {
        throw new TypeError(`two different keys share kid ${kid}`);
      }
      return; // The same key listed twice (e.g. own key among trusted keys): keep the first.
    }
    table.set(kid, { alg, jwk: { ...jwk, alg }, own });
  };
  add(signingKey.publicJwk, true);
  for (const jwk of trustedKeys) add(jwk, false);
  return table;
}

function importKey(entry: VerificationKey): Promise<CryptoKey> {
  entry.imported ??= importJWK(entry.jwk, entry.alg).then((key) => {
    if (key instanceof Uint8Array) throw new TypeError('symmetric keys are not accepted');
    return key;
  });
  return entry.imported;
}

function toClaims(payload: Record<string, unknown>, typ: TokenType): TokenClaims {
  const { sub, role, username, typ: actualTyp, iat, exp, jti, iss } = payload;
  if (
    typeof sub !== 'string' ||
    sub.length === 0 ||
    !(ROLES as readonly unknown[]).includes(role) ||
    typeof username !== 'string' ||
    actualTyp !== typ ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    typeof jti !== 'string' ||
    typeof iss !== 'string'
  ) {
    throw new TypeError('claims do not have the expected shape');
  }
  return { sub, role: role as Role, username, typ, iat, exp, jti, iss };
}

function invalidToken(): DomainError {
  return new DomainError(ErrorCode.NotAuthenticated, INVALID_TOKEN_MESSAGE);
}

/**
 * Creates the token service of a node.
 *
 * Tokens are JWTs signed with `signingKey` (header `alg`, `kid`, `typ: 'JWT'`),
 * with claims `sub`, `role`, `username`, `typ` ('access' | 'refresh'), `iat`,
 * `exp`, `jti`, `iss`. Throws TypeError at once on bad options (bad TTLs,
 * trusted keys without `kid`, unsupported key types, conflicting kids).
 */
export function createTokenService(opts: TokenServiceOptions): TokenService {
  const { signingKey, clock, issuer } = opts;
  const accessTtl = positiveInteger(
    'accessTtlSeconds',
    opts.accessTtlSeconds ?? DEFAULT_ACCESS_TTL_SECONDS,
  );
  const refreshTtl = positiveInteger(
    'refreshTtlSeconds',
    opts.refreshTtlSeconds ?? DEFAULT_REFRESH_TTL_SECONDS,
  );
  const tolerance = opts.clockToleranceSeconds ?? 0;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError('clockToleranceSeconds must be a non-negative number');
  }
  if (typeof issuer !== 'string' || issuer.length === 0) throw new TypeError('issuer is required');
  const keys = buildKeyTable(signingKey, opts.trustedKeys ?? []);

  async function sign(user: TokenUser, typ: TokenType, nowSeconds: number): Promise<string> {
    return (
      new SignJWT({ role: user.role, username: user.username, typ })
        .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(issuer)
        // Explicit numbers: jose's defaults for iat/exp read the wall clock.
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + (typ === 'access' ? accessTtl : refreshTtl))
        .setJti(randomUUID())
        .sign(signingKey.privateKey)
    );
  }

  function checkUser(user: TokenUser): void {
    if (typeof user.id !== 'string' || user.id.length === 0)
      throw new TypeError('user.id is required');
    if (typeof user.username !== 'string') throw new TypeError('user.username is required');
    if (!(ROLES as readonly unknown[]).includes(user.role)) throw new TypeError('unknown role');
  }

  async function verifyOrThrow(token: string, typ: TokenType): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalidToken();
    const header = decodeProtectedHeader(token);
    const entry = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
    if (!entry || header.alg !== entry.alg || !isAccepted(header.alg)) throw invalidToken();
    const { payload } = await jwtVerify(token, await importKey(entry), {
      algorithms: [entry.alg],
      currentDate: new Date(clock.now()),
      clockTolerance: tolerance,
      requiredClaims: ['sub', 'iss', 'iat', 'exp', 'jti'],
      ...(entry.own ? { issuer } : {}),
    });
    return toClaims(payload as Record<string, unknown>, typ);
  }

  async function verify(token: string, typ: TokenType): Promise<TokenClaims> {
    try {
      return await verifyOrThrow(token, typ);
    } catch {
      throw invalidToken();
    }
  }

  return {
    async issue(user) {
      checkUser(user);
      const now = Math.floor(clock.now() / 1000);
      const [access, refresh] = await Promise.all([
        sign(user, 'access', now),
        sign(user, 'refresh', now),
      ]);
      return { access, refresh };
    },

    async refresh(refreshToken, options = {}) {
      const claims = await verify(refreshToken, 'refresh');
      await options.authorize?.(claims);
      const user = { id: claims.sub, role: claims.role, username: claims.username };
      const access = await sign(user, 'access', Math.floor(clock.now() / 1000));
      return { access, claims };
    },

    verify,

    jwks() {
      return publicJwks([signingKey]);
    },
  };
}
