/**
 * The schedule screen's query over HTTP, as the page makes it: logged in by
 * `POST /api/v1/auth/session/` (the HttpOnly cookie, no bearer token), then for a facility
 * day and a facility week `GET /api/v1/appointments/?facility=F&start_time__gte=…&
 * start_time__lt=…&ordering=start_time&page_size=100&page=N`, every page until `next` is
 * null. One sample = one whole range (all its pages), sequential, on one keep-alive
 * connection; a few unmeasured fetches first.
 */
import { log } from './log';
import { summarize, type LatencySummary } from './stats';
import {
  fetchAllPages,
  schedulePath,
  sessionLogin,
  uiHttpClient,
  type ScheduleFetch,
} from './ui-http';
import type { ScheduleRange } from './ui-zone';

const WARMUP = 20;

export interface HttpRangeResult {
  range: 'day' | 'week';
  path: string;
  rows: number;
  count: number;
  pages: number;
  jsonBytes: number;
  jsonGzipBytes: number;
  ids: string[];
  latency: LatencySummary;
  /** Mean per HTTP request (a sample is `pages` requests). */
  perRequestMeanMs: number;
}

export async function benchScheduleHttp(
  url: string,
  user: { username: string; password: string },
  facility: string,
  ranges: ScheduleRange[],
  samples: number,
  scope: string,
): Promise<{ loginMs: number; results: HttpRangeResult[] }> {
  const client = uiHttpClient(url);
  try {
    const session = await sessionLogin(client, user.username, user.password);
    log(scope, `logged in as ${session.user.username} (cookie session)`);
    const results: HttpRangeResult[] = [];
    for (const range of ranges) {
      const path = schedulePath(facility, range.from, range.before);
      for (let i = 0; i < WARMUP; i += 1) await fetchAllPages(client, session, path);
      const times: number[] = [];
      let last: ScheduleFetch | undefined;
      for (let i = 0; i < samples; i += 1) {
        last = await fetchAllPages(client, session, path, { gzip: i === samples - 1 });
        times.push(last.ms);
      }
      const latency = summarize(times);
      const f = last!;
      log(
        scope,
        `${range.label}: ${f.rows} rows in ${f.pages} page(s), p50 ${latency.p50Ms.toFixed(2)} ms, ` +
          `p99 ${latency.p99Ms.toFixed(2)} ms`,
      );
      results.push({
        range: range.label,
        path,
        rows: f.rows,
        count: f.count,
        pages: f.pages,
        jsonBytes: f.bytes,
        jsonGzipBytes: f.gzipBytes ?? Number.NaN,
        ids: f.ids,
        latency,
        perRequestMeanMs: latency.meanMs / f.pages,
      });
    }
    return { loginMs: session.loginMs, results };
  } finally {
    client.close();
  }
}
