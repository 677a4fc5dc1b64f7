/** Tests of password hashing: real scrypt, no mocks. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyDummyPassword, verifyPassword } from './password';

const FORMAT = /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/;

describe('hashPassword / verifyPassword', () => {
  it('round-trips and has the documented format', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    expect(encoded).toMatch(FORMAT);
    await expect(verifyPassword('correct horse battery staple', encoded)).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    const encoded = await hashPassword('s3cret');
    await expect(verifyPassword('s3cret ', encoded)).resolves.toBe(false);
    await expect(verifyPassword('S3cret', encoded)).resolves.toBe(false);
    await expect(verifyPassword('', encoded)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    await expect(verifyPassword('same', a)).resolves.toBe(true);
    await expect(verifyPassword('same', b)).resolves.toBe(true);
  });

  it('returns false (never throws) for malformed hashes', async () => {
    const good = await hashPassword('pw');
    const [, n, r, p, salt, hash] = good.split('$') as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const malformed: unknown[] = [
      '',
      'scrypt',
      'pbkdf2_sha256$600000$salt$hash',
      good.replace('scrypt$', 'bcrypt$'),
      `${good}$extra`,
      `scrypt$${n}$${r}$${p}$${salt}`,
      `scrypt$12345$${r}$${p}$${salt}$${hash}`, // N not a power of two
      `scrypt$1$${r}$${p}$${salt}$${hash}`, // N too small
      `scrypt$${2 ** 30}$${r}$${p}$${salt}$${hash}`, // would need gigabytes
      `scrypt$${n}$0$${p}$${salt}$${hash}`,
      `scrypt$${n}$${r}$999$${salt}$${hash}`,
      `scrypt$0x4000$${r}$${p}$${salt}$${hash}`,
      `scrypt$${n}$${r}$${p}$$${hash}`,
      `scrypt$${n}$${r}$${p}$${salt}$`,
      `scrypt$${n}$${r}$${p}$not*base64$${hash}`,
      `scrypt$${n}$${r}$${p}$${salt}$${hash.slice(0, -3)}`, // broken padding
      `scrypt$${n}$${r}$${p}$${salt}$AAAA`, // key too short
      `${good}${'A'.repeat(1000)}`,
      null,
      undefined,
      42,
    ];
    for (const encoded of malformed) {
      await expect(verifyPassword('pw', encoded as string)).resolves.toBe(false);
    }
  });

  it('verifies hashes with other (weaker) parameters, as long as they are in bounds', async () => {
    const { scrypt } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt('legacy', salt, 32, { N: 1024, r: 8, p: 1 }, (e, k) => (e ? reject(e) : resolve(k))),
    );
    const encoded = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    await expect(verifyPassword('legacy', encoded)).resolves.toBe(true);
    await expect(verifyPassword('other', encoded)).resolves.toBe(false);
  });

  it('property: any string round-trips, and a different one does not verify', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 64 }),
        fc.string({ unit: 'grapheme', maxLength: 64 }),
        async (password, other) => {
          const encoded = await hashPassword(password);
          expect(encoded).toMatch(FORMAT);
          expect(await verifyPassword(password, encoded)).toBe(true);
          if (other !== password) expect(await verifyPassword(other, encoded)).toBe(false);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('DUMMY_PASSWORD_HASH', () => {
  it('is a well-formed hash with the current parameters that nothing obvious matches', async () => {
    expect(DUMMY_PASSWORD_HASH).toMatch(FORMAT);
    await expect(verifyPassword('', DUMMY_PASSWORD_HASH)).resolves.toBe(false);
    await expect(verifyPassword('password', DUMMY_PASSWORD_HASH)).resolves.toBe(false);
    await expect(verifyDummyPassword('admin')).resolves.toBe(false);
  });
});
