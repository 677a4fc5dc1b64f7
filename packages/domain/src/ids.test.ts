import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUuidV7Generator, isUuid } from './ids';

describe('UUIDv7 generator', () => {
  it('makes RFC 9562 version-7 ids carrying the clock time', () => {
    const t = Date.UTC(2030, 0, 1);
    const id = createUuidV7Generator({ now: () => t }).next();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUuid(id)).toBe(true);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
  });

  it('is strictly increasing even when the clock stalls or steps back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 300 }),
        (steps) => {
          let now = Date.UTC(2030, 0, 1);
          const gen = createUuidV7Generator({ now: () => now });
          let last = '';
          for (const s of steps) {
            now += s;
            const id = gen.next();
            expect(id > last).toBe(true);
            last = id;
          }
        },
      ),
    );
  });
});
