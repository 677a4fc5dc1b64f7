/**
 * Hybrid logical clocks: timestamps that follow the wall clock when it behaves and never
 * go backwards when it does not (a laptop's clock set hours wrong, NTP stepping back).
 * An HLC is `"<13-digit ms>-<4-digit counter>-<node id>"`; plain string comparison is the
 * clock order, and the node id makes two nodes' stamps distinct. See sync/SPEC.md.
 */
import type { Clock } from './time';

export type Hlc = string;

const MAX_COUNTER = 9999;
const HLC_PATTERN = /^(\d{13})-(\d{4})-(.+)$/;

export interface HlcParts {
  ms: number;
  counter: number;
  node: string;
}

export function formatHlc({ ms, counter, node }: HlcParts): Hlc {
  return `${String(ms).padStart(13, '0')}-${String(counter).padStart(4, '0')}-${node}`;
}

/** The parts of an HLC, or undefined when the text is not one. */
export function parseHlc(text: string): HlcParts | undefined {
  const m = HLC_PATTERN.exec(text);
  if (!m) return undefined;
  return { ms: Number(m[1]), counter: Number(m[2]), node: m[3] ?? '' };
}

/** The later of two clocks (undefined counts as the earliest). */
export function maxHlc(a: Hlc | undefined, b: Hlc | undefined): Hlc | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

export interface HybridClock {
  /** A stamp later than every stamp made or observed before. */
  now(): Hlc;
  /** Takes note of a stamp made elsewhere, so later local stamps sort after it. */
  observe(remote: Hlc | undefined | null): void;
}

export function createHybridClock(clock: Clock, node: string): HybridClock {
  let lastMs = 0;
  let lastCounter = 0;
  const advance = (ms: number, counter: number) => {
    if (ms > lastMs) {
      lastMs = ms;
      lastCounter = counter;
    } else if (ms === lastMs && counter > lastCounter) {
      lastCounter = counter;
    }
  };
  return {
    now() {
      const physical = clock.now();
      if (physical > lastMs) {
        lastMs = physical;
        lastCounter = 0;
      } else if (lastCounter < MAX_COUNTER) {
        lastCounter += 1;
      } else {
        // More than 10,000 stamps in one millisecond: borrow the next millisecond.
        lastMs += 1;
        lastCounter = 0;
      }
      return formatHlc({ ms: lastMs, counter: lastCounter, node });
    },
    observe(remote) {
      if (!remote) return;
      const parts = parseHlc(remote);
      if (parts) advance(parts.ms, parts.counter);
    },
  };
}
