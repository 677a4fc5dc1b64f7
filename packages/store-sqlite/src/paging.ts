/**
 * Reads one page of a list query: the total count and the requested rows, from the same
 * snapshot, so `count` and `rows` always agree.
 */
import type { Page, PageRequest } from '@clinic/core';
import type { NamedParams, StatementCache } from './statement-cache';

export interface PageSql {
  /** `SELECT COUNT(*) AS count ...` with the same WHERE as `rows`. */
  count: string;
  /** The row query, ending in `LIMIT @limit OFFSET @offset`. */
  rows: string;
}

export function readPage<R, T>(
  sql: StatementCache,
  text: PageSql,
  params: NamedParams,
  page: PageRequest,
  map: (row: R) => T,
): Page<T> {
  return sql.atomically(() => {
    const count = sql.get1<{ count: number }>(text.count, params)?.count ?? 0;
    const rows = sql.all<R>(text.rows, { ...params, limit: page.limit, offset: page.offset });
    return { count, rows: rows.map(map) };
  });
}
