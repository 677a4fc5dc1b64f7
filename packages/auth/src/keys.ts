/**
 * Asymmetric signing keys, kept in a node's data directory.
 *
 * Each node (edge or central) has one Ed25519 key pair. The private JWK lives in
 * `<dir>/keys/signing-key.json` (mode 0600); the public half is published as a
 * JWKS document so other nodes can verify this node's tokens offline. The key id
 * is the RFC 7638 JWK thumbprint of the public key.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type KeyObject,
} from 'jose';

/** The JWS algorithm of the keys this module creates. */
export const SIGNING_ALG = 'EdDSA';

/** A node's private signing key plus what others need to verify its signatures. */
export interface SigningKey {
  /** RFC 7638 thumbprint (SHA-256, base64url) of the public key; goes into the JWT header. */
  kid: string;
  alg: 'EdDSA';
  /** Non-extractable private key, for signing only. */
  privateKey: CryptoKey | KeyObject;
  /** Public JWK with `kid`, `alg` and `use: 'sig'`, ready for a JWKS document. */
  publicJwk: JWK;
}

/** A JWKS document (RFC 7517 section 5). */
export interface JwksDocument {
  keys: JWK[];
}

/** Relative path (under the node's data directory) of the private key file. */
export const SIGNING_KEY_FILE = join('keys', 'signing-key.json');

// Members that only private (or symmetric) JWKs carry.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/**
 * Returns a copy of `jwk` with every private member removed (and WebCrypto's
 * `ext`/`key_ops` bookkeeping dropped), safe to publish.
 */
export function toPublicJwk(jwk: JWK): JWK {
  const copy: JWK = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.ext;
  delete copy.key_ops;
  return copy;
}

function isSigningKey(key: SigningKey | JWK): key is SigningKey {
  return 'publicJwk' in key && typeof key.publicJwk === 'object' && key.publicJwk !== null;
}

/**
 * Builds a JWKS document from signing keys or JWKs. Private members are always
 * stripped, so passing a private JWK by mistake cannot leak it.
 */
export function publicJwks(keys: readonly (SigningKey | JWK)[]): JwksDocument {
  return { keys: keys.map((key) => toPublicJwk(isSigningKey(key) ? key.publicJwk : key)) };
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

async function toSigningKey(privateJwk: JWK): Promise<SigningKey> {
  if (
    privateJwk.kty !== 'OKP' ||
    privateJwk.crv !== 'Ed25519' ||
    typeof privateJwk.x !== 'string' ||
    typeof privateJwk.d !== 'string'
  ) {
    throw new Error('signing key file does not hold an Ed25519 private JWK');
  }
  const publicPart: JWK = { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x };
  const kid = await calculateJwkThumbprint(publicPart, 'sha256');
  // WebCrypto rejects a JWK whose `d` does not match its `x`, so a corrupt file fails here.
  const privateKey = await importJWK(
    { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x, d: privateJwk.d },
    SIGNING_ALG,
    { extractable: false },
  );
  if (privateKey instanceof Uint8Array) throw new Error('signing key must be asymmetric');
  return {
    kid,
    alg: SIGNING_ALG,
    privateKey,
    publicJwk: { ...publicPart, kid, alg: SIGNING_ALG, use: 'sig' },
  };
}

async function readKeyFile(path: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new Error(`signing key file ${path} is not valid JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`signing key file ${path} does not hold a JWK object`);
  }
  return parsed as JWK;
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
}

/** Writes `data` to a fresh 0600 temp file next to `path` and fsyncs it; returns the temp path. */
async function writeTempFile(path: string, data: string): Promise<string> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic.
  }
}

/**
 * Publishes the temp file at `path` only if nothing is there yet (hard link
 * fails with EEXIST), so two processes racing on first start agree on one key.
 * Falls back to rename where the file system has no hard links.
 * @returns false when another writer won the race.
 */
async function publishOnce(tmp: string, path: string): Promise<boolean> {
  try {
    await link(tmp, path);
    return true;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    if (isErrno(error, 'EPERM') || isErrno(error, 'ENOTSUP') || isErrno(error, 'ENOSYS')) {
      await rename(tmp, path);
      return true;
    }
    throw error;
  }
}

/**
 * Loads the node's signing key from `<dir>/keys/signing-key.json`, creating an
 * Ed25519 key pair there on first use.
 *
 * The file is written crash-safely (0600 temp file, fsync, atomic publish, fsync
 * of the directory), so a crash never leaves a half-written key. An existing but
 * unreadable or invalid key file is an error, never silently replaced: replacing
 * it would invalidate every token and every trust relation built on the old key.
 */
export async function loadOrCreateSigningKey(dir: string): Promise<SigningKey> {
  const keysDir = join(dir, 'keys');
  const path = join(dir, SIGNING_KEY_FILE);

  const existing = await readKeyFile(path);
  if (existing) return toSigningKey(existing);

  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(toPublicJwk(jwk), 'sha256');
  const stored: JWK = { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' };

  const tmp = await writeTempFile(path, `${JSON.stringify(stored, null, 2)}\n`);
  let won: boolean;
  try {
    won = await publishOnce(tmp, path);
  } finally {
    await removeIfExists(tmp);
  }
  await syncDirectory(keysDir);
  if (!won) {
    const winner = await readKeyFile(path);
    if (!winner) throw new Error(`signing key file ${path} vanished while being created`);
    return toSigningKey(winner);
  }
  return toSigningKey(stored);
}
