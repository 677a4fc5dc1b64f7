/** AsyncMutex: one holder at a time, FIFO hand-over, release on throw. */
import { describe, expect, it } from 'vitest';
import { AsyncMutex } from './mutex';

describe('AsyncMutex', () => {
  it('grants the lock in the order it was asked for', async () => {
    const mutex = new AsyncMutex();
    const order: number[] = [];
    let inside = 0;
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        mutex.runExclusive(async () => {
          inside += 1;
          expect(inside).toBe(1);
          // Later callers sleep less: without FIFO they would finish first.
          await new Promise((resolve) => setTimeout(resolve, 10 - 2 * i));
          order.push(i);
          inside -= 1;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(mutex.locked).toBe(false);
  });

  it('releases the lock when the holder throws', async () => {
    const mutex = new AsyncMutex();
    const boom = new Error('boom');
    await expect(mutex.runExclusive(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(mutex.locked).toBe(false);
    await expect(mutex.runExclusive(() => 42)).resolves.toBe(42);
  });

  it('ignores a second release', async () => {
    const mutex = new AsyncMutex();
    const release = await mutex.acquire();
    const next = mutex.acquire();
    release();
    release(); // must not release the next holder's turn
    const releaseNext = await next;
    expect(mutex.locked).toBe(true);
    releaseNext();
    expect(mutex.locked).toBe(false);
  });
});
