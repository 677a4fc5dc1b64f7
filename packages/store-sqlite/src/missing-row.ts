/**
 * Guards the update statements: the port's updates replace an existing row, so an
 * update that matched nothing is a caller bug and must not pass silently.
 */

/** Throws unless the update changed exactly one row. */
export function assertUpdated(changes: number, table: string, id: string): void {
  if (changes !== 1) {
    throw new Error(`Cannot update ${table} ${id}: no such row.`);
  }
}
