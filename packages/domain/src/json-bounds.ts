/**
 * Bounds on a JSON text checked before it is parsed: how deep arrays and objects nest, and
 * how many values they hold. JSON.parse's cost grows with nesting far faster than with size
 * (measured, bench/parse-cost.ts: 1 MB of `[[[...]]]` takes ~0.4 s, 16 MB ~4.7 s, while 16 MB
 * of flat strings takes ~0.3 s), and a wide array feeds a schema one issue per element
 * (zod: ~1 s for 1 MB of `[0,0,...]` against an array of ids). One linear scan outside
 * strings, allocating nothing, refuses such texts first; a text within the bounds parses in
 * time proportional to its size. The scanner also takes UTF-8 bytes chunk by chunk, so a
 * gzip body can be refused while it is still being inflated: every structural character is
 * ASCII, and no byte of a multi-byte UTF-8 sequence is.
 *
 * Shared by the API (request bodies) and sync (push batches).
 */

/** Limits for one JSON text. */
export interface JsonBounds {
  /** Deepest nesting of arrays and objects; `[]` is depth 1, `[[]]` depth 2. */
  maxDepth: number;
  /**
   * Most values in arrays and objects, counted as containers opened plus separators (a
   * container of n > 0 items counts n): array elements plus object members, over the text.
   */
  maxItems: number;
}

/** Why a text was refused before parsing. */
export type JsonRefusal = 'too_deep' | 'too_many_items';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * Checks a JSON text given in pieces (strings, or UTF-8 bytes split anywhere). It does not
 * validate JSON: a malformed text is left for the parser to refuse.
 */
export class JsonBoundsScanner {
  #depth = 0;
  #items = 0;
  #inString = false;
  #escaped = false;
  #refusal: JsonRefusal | undefined;

  constructor(readonly bounds: JsonBounds) {}

  /** Scans the next piece; returns the refusal once a bound is passed (and from then on). */
  feed(chunk: string | Uint8Array): JsonRefusal | undefined {
    if (this.#refusal) return this.#refusal;
    const text = typeof chunk === 'string';
    const { maxDepth, maxItems } = this.bounds;
    let depth = this.#depth;
    let items = this.#items;
    let inString = this.#inString;
    let escaped = this.#escaped;
    for (let i = 0; i < chunk.length; i += 1) {
      const code = text ? chunk.charCodeAt(i) : chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (code === BACKSLASH) escaped = true;
        else if (code === QUOTE) inString = false;
      } else if (code === QUOTE) {
        inString = true;
      } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
        depth += 1;
        items += 1;
        if (depth > maxDepth) return (this.#refusal = 'too_deep');
        if (items > maxItems) return (this.#refusal = 'too_many_items');
      } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
        depth -= 1;
      } else if (code === COMMA) {
        items += 1;
        if (items > maxItems) return (this.#refusal = 'too_many_items');
      }
    }
    this.#depth = depth;
    this.#items = items;
    this.#inString = inString;
    this.#escaped = escaped;
    return undefined;
  }
}

/** The refusal for a whole text, or undefined when it is within the bounds. */
export function checkJsonBounds(text: string, bounds: JsonBounds): JsonRefusal | undefined {
  return new JsonBoundsScanner(bounds).feed(text);
}

export type BoundedJson =
  { ok: true; value: unknown } | { ok: false; reason: 'malformed' | JsonRefusal };

/** Checks the bounds, then parses: JSON.parse never sees a text beyond them. */
export function parseBoundedJson(text: string, bounds: JsonBounds): BoundedJson {
  const refusal = checkJsonBounds(text, bounds);
  if (refusal) return { ok: false, reason: refusal };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}

/** A sentence for the client saying which bound the text passed. */
export function describeJsonRefusal(reason: JsonRefusal, bounds: JsonBounds): string {
  return reason === 'too_deep'
    ? `JSON nesting is too deep (the limit is ${bounds.maxDepth} levels).`
    : `JSON holds too many values (the limit is ${bounds.maxItems}).`;
}
