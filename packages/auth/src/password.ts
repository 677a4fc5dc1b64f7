/**
 * Password hashing: scrypt from node:crypto, self-describing encoded strings.
 *
 * Format: `scrypt$N$r$p$<salt base64>$<hash base64>` (standard base64 with padding).
 * Parameters travel with the hash, so they can be raised later without breaking
 * old hashes. scrypt runs on libuv's thread pool (async), never on the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameter N used for new hashes (CPU/memory cost, a power of two). */
export const SCRYPT_N = 16384;
/** scrypt block size r used for new hashes. */
export const SCRYPT_R = 8;
/** scrypt parallelism p used for new hashes. */
export const SCRYPT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 64;

// Bounds for parameters read back from a stored hash: a tampered or corrupt row
// must not make verification allocate gigabytes or spin for minutes.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^[1-9][0-9]{0,7}$/;

/**
 * A valid hash (current parameters) of a random password nobody knows. Verify
 * against it when the user does not exist, so "no such user" costs the same time
 * as "wrong password" and usernames cannot be enumerated by timing.
 */
export const DUMMY_PASSWORD_HASH =
  'scrypt$16384$8$1$GzmHpMBCKYqWQdxGhKjZmw==$rMfgnHNscQ2Qo/YmiIUEAKSnG1O3EcPp7htTHFXqni2CD97JQkDwWy7pGVMlhBTKkHfnsKv26d129Y1AkFm7BQ==';

function deriveKey(
  plain: string,
  salt: Buffer,
  keyLength: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(plain, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function memoryFor(n: number, r: number, p: number): number {
  // scrypt needs about 128 * N * r bytes for V plus 128 * r * p for B.
  return 128 * n * r + 128 * r * p + 1024 * 1024;
}

interface ParsedHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseBase64(text: string | undefined, minBytes: number, maxBytes: number): Buffer | null {
  if (text === undefined || text.length === 0 || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length >= minBytes && bytes.length <= maxBytes ? bytes : null;
}

function parseHash(encoded: unknown): ParsedHash | null {
  if (typeof encoded !== 'string' || encoded.length > 512) return null;
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, nText = '', rText = '', pText = '', saltText, hashText] = parts;
  if (!DECIMAL.test(nText) || !DECIMAL.test(rText) || !DECIMAL.test(pText)) return null;
  const n = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (n < 2 || n > MAX_N || (n & (n - 1)) !== 0) return null;
  if (r > MAX_R || p > MAX_P || memoryFor(n, r, p) > MAX_MEMORY_BYTES) return null;
  const salt = parseBase64(saltText, 8, 64);
  const hash = parseBase64(hashText, 16, 128);
  if (!salt || !hash) return null;
  return { n, r, p, salt, hash };
}

/**
 * Hashes a password with scrypt (N=16384, r=8, p=1, 16-byte random salt, 64-byte key).
 *
 * @returns `scrypt$16384$8$1$<salt b64>$<hash b64>`
 */
export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(plain, salt, KEY_BYTES, {
    N: SCRYPT_N,
    r: SCRYPT_R,
    p: SCRYPT_P,
    maxmem: memoryFor(SCRYPT_N, SCRYPT_R, SCRYPT_P),
  });
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks `plain` against a hash made by {@link hashPassword}, in constant time
 * over the derived key. Never throws: a malformed or unsupported `encoded`
 * string (or one with out-of-bounds parameters, or none: an account without a
 * password) yields `false`, after as long as a real check takes, so the time of a
 * failed login never tells which kind of account was tried.
 */
export async function verifyPassword(plain: string, encoded: string): Promise<boolean> {
  if (typeof plain !== 'string') return false;
  const parsed = parseHash(encoded);
  if (!parsed) return encoded === DUMMY_PASSWORD_HASH ? false : verifyDummyPassword(plain);
  try {
    const key = await deriveKey(plain, parsed.salt, parsed.hash.length, {
      N: parsed.n,
      r: parsed.r,
      p: parsed.p,
      maxmem: memoryFor(parsed.n, parsed.r, parsed.p),
    });
    return timingSafeEqual(key, parsed.hash);
  } catch {
    return false;
  }
}

/**
 * Spends the same time as a real {@link verifyPassword} call and always
 * resolves `false`. Call it when the username is unknown (see {@link DUMMY_PASSWORD_HASH}).
 */
export async function verifyDummyPassword(plain: string): Promise<false> {
  await verifyPassword(plain, DUMMY_PASSWORD_HASH);
  return false;
}
