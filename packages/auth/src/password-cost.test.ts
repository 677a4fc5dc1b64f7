/**
 * Every failed password check costs one scrypt derivation with the current parameters,
 * whatever made it fail: so the time of a failed login never tells an account without a
 * password (or with a damaged hash) from an unknown one or a wrong password. The real
 * scrypt runs; the spy only counts its calls and their cost parameter.
 */
import type * as Crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

const derivations: number[] = [];
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof Crypto>();
  return {
    ...real,
    scrypt: (...args: Parameters<typeof real.scrypt>) => {
      derivations.push((args[3] as { N: number }).N);
      return real.scrypt(...args);
    },
  };
});

const { DUMMY_PASSWORD_HASH, SCRYPT_N, hashPassword, verifyPassword } = await import('./password');

async function derivationsOf(check: () => Promise<boolean>): Promise<number[]> {
  derivations.length = 0;
  expect(await check()).toBe(false);
  return [...derivations];
}

describe('the cost of a failed password check', () => {
  it('is one full derivation for a wrong password, a missing hash and a damaged one', async () => {
    const real = await hashPassword('the-right-one');
    const cases = {
      wrong: () => verifyPassword('guess', real),
      unknownUser: () => verifyPassword('guess', DUMMY_PASSWORD_HASH),
      noPassword: () => verifyPassword('guess', ''),
      damaged: () => verifyPassword('guess', 'scrypt$16384$8$1$bad'),
      otherScheme: () => verifyPassword('guess', 'pbkdf2_sha256$260000$salt$hash'),
    };
    for (const [name, check] of Object.entries(cases)) {
      expect({ name, derivations: await derivationsOf(check) }).toEqual({
        name,
        derivations: [SCRYPT_N],
      });
    }
  });
});
