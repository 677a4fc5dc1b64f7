import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadOrCreateSigningKey } from './keys';
import { createTokenService } from './tokens';
import { cacheVerifiedTokens } from './verified-token-cache';

const dir = mkdtempSync(join(tmpdir(), 'clinic-token-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cacheVerifiedTokens', () => {
  it('verifies a signature once, still expires tokens, and never caches failures', async () => {
    let now = Date.UTC(2030, 0, 1);
    const clock = { now: () => now };
    const inner = createTokenService({
      signingKey: await loadOrCreateSigningKey(dir),
      clock,
      issuer: 'test',
    });
    const spy = vi.spyOn(inner, 'verify');
    const cached = cacheVerifiedTokens(inner, clock, 2);
    const { access, refresh } = await inner.issue({ id: 'u1', role: 'provider', username: 'u' });

    const first = await cached.verify(access, 'access');
    expect(await cached.verify(access, 'access')).toEqual(first);
    expect(spy).toHaveBeenCalledTimes(1);

    // A forged token is checked (and refused) every time.
    const forged = `${access.slice(0, -4)}AAAA`;
    await expect(cached.verify(forged, 'access')).rejects.toThrow('Given token not valid');
    await expect(cached.verify(forged, 'access')).rejects.toThrow('Given token not valid');
    expect(spy).toHaveBeenCalledTimes(3);

    // Refresh tokens are not cached, and are not access tokens.
    await expect(cached.verify(refresh, 'access')).rejects.toThrow();

    now += 15 * 60_000; // expiry is re-checked on a cache hit
    await expect(cached.verify(access, 'access')).rejects.toThrow('Given token not valid');
  });

  it('keeps at most maxEntries tokens', async () => {
    const clock = { now: () => Date.UTC(2030, 0, 1) };
    const inner = createTokenService({
      signingKey: await loadOrCreateSigningKey(dir),
      clock,
      issuer: 'test',
    });
    const spy = vi.spyOn(inner, 'verify');
    const cached = cacheVerifiedTokens(inner, clock, 2);
    const tokens = await Promise.all(
      ['a', 'b', 'c'].map(
        async (u) => (await inner.issue({ id: u, role: 'admin', username: u })).access,
      ),
    );
    for (const t of tokens) await cached.verify(t, 'access');
    await cached.verify(tokens[0]!, 'access'); // evicted: verified again
    await cached.verify(tokens[2]!, 'access'); // still cached
    expect(spy).toHaveBeenCalledTimes(4);
  });
});
