/**
 * One page of rows and the total under the same WHERE, in ONE statement (one snapshot,
 * one round trip): the count is a subquery and the page a LATERAL subquery LEFT JOINed
 * to it, so the total comes back even when the page is empty.
 */
import type { Page, PageRequest } from '@clinic/core';
import type { Executor, Row } from './executor';
import type { Params } from './params';

export interface PageSpec {
  /** SELECT list of the page; must include an `id` column that is never null. */
  columns: string;
  /** FROM clause of the page. */
  from: string;
  /** FROM clause of the count (may drop joins the WHERE does not read). Default `from`. */
  countFrom?: string;
  /** Conditions AND-ed together; their values are already in `params`. */
  where: readonly string[];
  /** ORDER BY, ending with a unique column so pages are stable. */
  orderBy: string;
}

export async function selectPage<T>(
  ex: Executor,
  spec: PageSpec,
  params: Params,
  request: PageRequest,
  map: (row: Row) => T,
): Promise<Page<T>> {
  const where = spec.where.length > 0 ? spec.where.join(' AND ') : 'true';
  const limit = params.add(request.limit);
  const offset = params.add(request.offset);
  const rows = await ex.query(
    `SELECT t.total, page.*
       FROM (SELECT count(*)::int AS total FROM ${spec.countFrom ?? spec.from} WHERE ${where}) t
       LEFT JOIN LATERAL (
         SELECT ${spec.columns} FROM ${spec.from} WHERE ${where}
          ORDER BY ${spec.orderBy} LIMIT ${limit} OFFSET ${offset}
       ) page ON true`,
    params.values,
  );
  return {
    count: (rows[0]?.total as number | undefined) ?? 0,
    rows: rows.filter((r) => r.id !== null).map(map),
  };
}

/** `column ILIKE pattern` for each column, OR-ed, with the pattern as one parameter. */
export function searchAny(columns: readonly string[], pattern: string, params: Params): string {
  const like = params.add(pattern);
  return `(${columns.map((c) => `${c} ILIKE ${like}`).join(' OR ')})`;
}
