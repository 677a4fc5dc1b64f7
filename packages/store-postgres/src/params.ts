/**
 * Builds the `$n` placeholders of a statement while collecting its values, so dynamic
 * SQL (optional filters, multi-row inserts) stays fully parameterized: only fixed SQL
 * fragments are concatenated, every value travels as a parameter.
 */
import { tsParam } from './sql-time';

export class Params {
  readonly values: unknown[] = [];

  /** Adds a value; returns its placeholder (`$1`, `$2`, ...). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Adds epoch milliseconds (or null); returns SQL for the timestamptz. */
  addTime(ms: number | null): string {
    return tsParam(this.add(ms)); // to_timestamp(NULL) is NULL
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An id to look up, or null when it cannot be a uuid. `column = NULL` matches nothing,
 * so a malformed id finds no row (as on SQLite) instead of raising 22P02.
 */
export function lookupId(id: string): string | null {
  return UUID_RE.test(id) ? id : null;
}

/** `%text%` for ILIKE, with `\`, `%` and `_` in `text` escaped to match literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
