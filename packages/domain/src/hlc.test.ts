import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHybridClock, formatHlc, maxHlc, parseHlc } from './hlc';

describe('hybrid logical clock', () => {
  it('never goes backwards, whatever the wall clock does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('tick' as const),
              ms: fc.integer({ min: 0, max: 1e13 - 1 }),
            }),
            fc.record({
              kind: fc.constant('observe' as const),
              ms: fc.integer({ min: 0, max: 1e13 - 1 }),
              counter: fc.integer({ min: 0, max: 9999 }),
            }),
          ),
          { maxLength: 200 },
        ),
        (steps) => {
          let wall = 0;
          const hlc = createHybridClock({ now: () => wall }, 'node-a');
          let previous = '';
          let maxObserved = '';
          for (const step of steps) {
            if (step.kind === 'tick') {
              wall = step.ms;
              const stamp = hlc.now();
              expect(stamp > previous).toBe(true);
              expect(stamp > maxObserved.replace(/-[^-]*$/, '')).toBe(true);
              previous = stamp;
            } else {
              const remote = formatHlc({ ms: step.ms, counter: step.counter, node: 'node-b' });
              hlc.observe(remote);
              if (remote > maxObserved) maxObserved = remote;
            }
          }
        },
      ),
    );
  });

  it('stamps after a remote stamp from a clock hours ahead', () => {
    const hlc = createHybridClock({ now: () => 1_000 }, 'slow');
    const ahead = formatHlc({ ms: 1_000 + 3 * 3_600_000, counter: 7, node: 'fast' });
    hlc.observe(ahead);
    const stamp = hlc.now();
    expect(stamp > ahead).toBe(true);
    expect(parseHlc(stamp)).toEqual({ ms: 1_000 + 3 * 3_600_000, counter: 8, node: 'slow' });
  });

  it('orders by string comparison and ignores garbage it is asked to observe', () => {
    const hlc = createHybridClock({ now: () => 5 }, 'n');
    hlc.observe('not a clock');
    hlc.observe(null);
    expect(hlc.now()).toBe('0000000000005-0000-n');
    expect(maxHlc('0000000000005-0000-a', '0000000000005-0001-a')).toBe('0000000000005-0001-a');
    expect(maxHlc(undefined, 'x')).toBe('x');
  });
});
