/**
 * A FIFO async mutex: the one writer connection runs one transaction at a time, and
 * callers get their turn in the order they asked for it.
 */

/** Gives the lock back. Calling it more than once is a no-op. */
export type Release = () => void;

export class AsyncMutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  /** Resolves, in call order, once the caller holds the lock. */
  acquire(): Promise<Release> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => {
      this.#waiters.push(() => resolve(this.#releaser()));
    });
  }

  /** Runs `fn` while holding the lock and releases it however `fn` ends. */
  async runExclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** True while someone holds the lock. */
  get locked(): boolean {
    return this.#locked;
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the lock straight to the next waiter, so nobody can barge in between.
      const next = this.#waiters.shift();
      if (next) next();
      else this.#locked = false;
    };
  }
}
