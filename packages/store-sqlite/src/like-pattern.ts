/**
 * Builds LIKE patterns for the list searches: a substring match in which `%`, `_` and
 * the escape character itself are matched literally. Use with `ESCAPE '\'`.
 */

/** The escape character every search clause declares (`LIKE @search ESCAPE '\'`). */
export const LIKE_ESCAPE = '\\';

/** `50%_off` -> `%50\%\_off%`. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => LIKE_ESCAPE + ch)}%`;
}
