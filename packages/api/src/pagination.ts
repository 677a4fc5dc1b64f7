/** DRF page-number pagination: `{count, next, previous, results}`, 20 a page, up to 100. */
import { DomainError, ErrorCode } from '@clinic/domain';
import type { PageRequest } from '@clinic/core';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageParams {
  page: number;
  pageSize: number;
}

export function pageParams(q: {
  page?: number | undefined;
  page_size?: number | undefined;
}): PageParams {
  const page = q.page ?? 1;
  if (page < 1) throw new DomainError(ErrorCode.NotFound, 'Invalid page.');
  return { page, pageSize: Math.min(q.page_size ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) };
}

export function toPageRequest(p: PageParams): PageRequest {
  return { limit: p.pageSize, offset: (p.page - 1) * p.pageSize };
}

function pageUrl(requestUrl: string, page: number): string {
  const url = new URL(requestUrl);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

export function paginate<T, U>(
  requestUrl: string,
  params: PageParams,
  result: { count: number; rows: T[] },
  serialize: (row: T) => U,
): { count: number; next: string | null; previous: string | null; results: U[] } {
  const lastPage = Math.max(1, Math.ceil(result.count / params.pageSize));
  if (params.page > lastPage) throw new DomainError(ErrorCode.NotFound, 'Invalid page.');
  return {
    count: result.count,
    next: params.page < lastPage ? pageUrl(requestUrl, params.page + 1) : null,
    previous: params.page > 1 ? pageUrl(requestUrl, params.page - 1) : null,
    results: result.rows.map(serialize),
  };
}
