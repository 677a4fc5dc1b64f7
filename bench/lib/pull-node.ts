/**
 * The clinic node of bench/sync-pull.ts, run as its own process (bundled with esbuild and
 * started with plain node, as `clinic edge` runs), so its RSS is a node's: opens a fresh
 * SQLite file, pulls every shape once from central with `pullOnce`, and prints one line
 * `RESULT {json}`: time, rows per table, RSS before and at peak.
 *
 *   node pull-node.mjs <central url> <token> <sqlite file> <flush every>
 */
import {
  openSqliteStore,
  applyShapeBatch,
  readShapePosition,
  retryDeferredParents,
} from '@clinic/store-sqlite';
import { pullOnce, SHAPE_TABLES } from '@clinic/sync';
import { readPeakRssBytes } from './proc';

export interface PullNodeResult {
  seconds: number;
  rows: Record<string, number>;
  messages: number;
  rssBeforeBytes: number;
  rssPeakSampledBytes: number;
  rssPeakKernelBytes: number | undefined;
  heapUsedAfterBytes: number;
}

const [centralUrl = '', token = '', file = '', flushEvery = '4000'] = process.argv.slice(2);
const store = openSqliteStore({ file });
const rssBefore = process.memoryUsage.rss();
let peak = rssBefore;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 20);
const t0 = performance.now();
const report = await pullOnce({
  centralUrl,
  token,
  timeoutMs: 30 * 60_000,
  flushEvery: Number(flushEvery),
  store: {
    readPosition: (t) => readShapePosition(store, t),
    applyBatch: (t, m, p) => applyShapeBatch(store, t, m, p),
    retryDeferredParents: () => retryDeferredParents(store),
  },
});
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
const rows: Record<string, number> = {};
for (const table of SHAPE_TABLES) {
  rows[table] = store.readSql(
    (sql) => sql.get1<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)?.n ?? 0,
  );
}
const result: PullNodeResult = {
  seconds,
  rows,
  messages: Object.values(report.tables).reduce((n, t) => n + (t?.messages ?? 0), 0),
  rssBeforeBytes: rssBefore,
  rssPeakSampledBytes: peak,
  rssPeakKernelBytes: readPeakRssBytes(process.pid),
  heapUsedAfterBytes: process.memoryUsage().heapUsed,
};
await store.close();
console.log(`RESULT ${JSON.stringify(result)}`);
// The client library may keep a throttled save timer of its own for up to 60 s.
process.exit(0);
