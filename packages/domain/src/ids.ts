/** Identity: UUIDv7 ids, made where a row is born, so nodes never collide offline. */
import type { Clock } from './time';

/** Makes new ids. Injected so tests can make deterministic ones. */
export interface IdGenerator {
  next(): string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for any RFC 9562 UUID string (any version), the only id shape the API accepts. */
export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

/**
 * A UUIDv7 generator (RFC 9562): 48-bit millisecond timestamp, then random bits.
 * Ids from one generator are strictly increasing, even within one millisecond
 * and when the clock steps back, which keeps B-tree inserts at the right edge.
 */
export function createUuidV7Generator(
  clock: Clock,
  fillRandom: (bytes: Uint8Array) => void = (b) => crypto.getRandomValues(b),
): IdGenerator {
  let lastMs = -1;
  let counter = 0; // 12 bits in rand_a, bumped within one millisecond
  const bytes = new Uint8Array(16);
  // Random bytes are drawn 64 ids at a time: one call to the random source instead of one
  // per id (it showed up at ~3% of a booking's CPU).
  const pool = new Uint8Array(16 * 64);
  let poolOffset = pool.length;
  return {
    next(): string {
      let ms = clock.now();
      if (ms <= lastMs) {
        counter += 1;
        if (counter > 0xfff) {
          lastMs += 1;
          counter = 0;
        }
        ms = lastMs;
      } else {
        lastMs = ms;
        counter = 0;
      }
      if (poolOffset === pool.length) {
        fillRandom(pool);
        poolOffset = 0;
      }
      bytes.set(pool.subarray(poolOffset, poolOffset + 16));
      poolOffset += 16;
      bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
      bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
      bytes[2] = (ms >>> 24) & 0xff;
      bytes[3] = (ms >>> 16) & 0xff;
      bytes[4] = (ms >>> 8) & 0xff;
      bytes[5] = ms & 0xff;
      bytes[6] = 0x70 | ((counter >>> 8) & 0x0f);
      bytes[7] = counter & 0xff;
      bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
      let hex = '';
      for (const b of bytes) hex += b.toString(16).padStart(2, '0');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
