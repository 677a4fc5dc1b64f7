import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  JsonBoundsScanner,
  checkJsonBounds,
  describeJsonRefusal,
  parseBoundedJson,
  type JsonBounds,
} from './json-bounds';

const bounds: JsonBounds = { maxDepth: 4, maxItems: 10 };

/** Nesting depth and item count of a parsed value, computed the slow, obvious way. */
function measure(value: unknown, depth = 0): { depth: number; items: number } {
  if (value === null || typeof value !== 'object') return { depth, items: 0 };
  const children = Array.isArray(value) ? value : Object.values(value);
  let deepest = depth + 1;
  let items = Math.max(1, children.length);
  for (const child of children) {
    const m = measure(child, depth + 1);
    deepest = Math.max(deepest, m.depth);
    items += m.items;
  }
  return { depth: deepest, items };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('checkJsonBounds', () => {
  it('accepts texts within the bounds, at the limits exactly', () => {
    expect(checkJsonBounds('[[[[]]]]', bounds)).toBeUndefined();
    expect(checkJsonBounds('{"a":{"b":{"c":{"d":1}}}}', bounds)).toBeUndefined();
    expect(checkJsonBounds('[1,2,3,4,5,6,7,8,9,10]', bounds)).toBeUndefined();
    expect(checkJsonBounds('"plain"', bounds)).toBeUndefined();
    expect(checkJsonBounds('', bounds)).toBeUndefined();
  });

  it('refuses one level or one item past the limits', () => {
    expect(checkJsonBounds('[[[[[]]]]]', bounds)).toBe('too_deep');
    expect(checkJsonBounds('{"a":{"a":{"a":{"a":{"a":1}}}}}', bounds)).toBe('too_deep');
    expect(checkJsonBounds('[1,2,3,4,5,6,7,8,9,10,11]', bounds)).toBe('too_many_items');
  });

  it('ignores brackets, commas and escaped quotes inside strings', () => {
    expect(checkJsonBounds('["[[[[[[,,,,,,,,,,,,{{{{{{"]', bounds)).toBeUndefined();
    expect(checkJsonBounds('["a\\"[[[[[[[", "\\\\", "]"]', bounds)).toBeUndefined();
    // After an escaped backslash the quote closes the string: the brackets count.
    expect(checkJsonBounds('["\\\\",[[[[[]]]]]]', bounds)).toBe('too_deep');
  });

  it('counts depth and items as a parsed value has them (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const m = measure(value);
        const limits = { maxDepth: m.depth, maxItems: m.items };
        expect(checkJsonBounds(text, limits)).toBeUndefined();
        if (m.depth > 0)
          expect(checkJsonBounds(text, { ...limits, maxDepth: m.depth - 1 })).toBe('too_deep');
        if (m.items > 0 && m.depth > 0)
          expect(checkJsonBounds(text, { maxDepth: m.depth, maxItems: m.items - 1 })).toBe(
            'too_many_items',
          );
      }),
    );
  });

  it('gives the same answer for UTF-8 bytes split anywhere as for the whole text', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (value, cuts) => {
          const text = JSON.stringify(value);
          const bytes = new TextEncoder().encode(text);
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const tight = { maxDepth: 3, maxItems: 8 };
          const scanner = new JsonBoundsScanner(tight);
          let result;
          let from = 0;
          for (const to of [...at, bytes.length]) {
            result = scanner.feed(bytes.subarray(from, to)) ?? result;
            from = to;
          }
          expect(result).toBe(checkJsonBounds(text, tight));
        },
      ),
    );
  });
});

describe('parseBoundedJson', () => {
  it('refuses an over-deep text without calling JSON.parse', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(parseBoundedJson(deep, { maxDepth: 32, maxItems: 1e6 })).toEqual({
      ok: false,
      reason: 'too_deep',
    });
    const wide = `[${'0,'.repeat(20_000)}0]`;
    expect(parseBoundedJson(wide, { maxDepth: 32, maxItems: 10_000 })).toEqual({
      ok: false,
      reason: 'too_many_items',
    });
    expect(parse).not.toHaveBeenCalled();
  });

  it('parses a text within the bounds, and says malformed for broken JSON', () => {
    expect(parseBoundedJson('{"a":[1,"x"]}', bounds)).toEqual({ ok: true, value: { a: [1, 'x'] } });
    expect(parseBoundedJson('{"a":', bounds)).toEqual({ ok: false, reason: 'malformed' });
    expect(parseBoundedJson('', bounds)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('names the limit in its message', () => {
    expect(describeJsonRefusal('too_deep', bounds)).toContain('4 levels');
    expect(describeJsonRefusal('too_many_items', bounds)).toContain('10');
  });
});
