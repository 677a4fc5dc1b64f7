/** SQL for the node's key/value metadata (the `meta` table). */
import type { StatementCache } from './statement-cache';

const GET = 'SELECT value FROM meta WHERE key = @key';

const SET = `
  INSERT INTO meta (key, value) VALUES (@key, @value)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value`;

export function getMeta(sql: StatementCache, key: string): string | undefined {
  return sql.get1<{ value: string }>(GET, { key })?.value;
}

export function setMeta(sql: StatementCache, key: string, value: string): void {
  sql.run(SET, { key, value });
}
