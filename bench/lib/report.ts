/**
 * The benchmark's report: machine and command, one table row per scenario, the ratios
 * HTTP/raw, the targets of the issue with PASS/MISS, and the JSON written to
 * bench/results/latest.json.
 */
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import type { LatencySummary } from './stats';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started (other work on the machine skews it). */
  loadAverage: number;
}

export function machineInfo(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** What one table row shows. */
export interface Row {
  name: string;
  throughput: number;
  unit: 'req/s' | 'tx/s';
  latency: LatencySummary;
  rssMaxBytes?: number;
  errors: number;
}

export interface Check {
  name: string;
  measured: string;
  target: string;
  pass: boolean;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function formatTable(rows: Row[]): string {
  const head = ['scenario', 'throughput', 'p50 ms', 'p99 ms', 'max ms', 'RSS max', 'errors'];
  const body = rows.map((r) => [
    r.name,
    `${fixed(r.throughput, 1)} ${r.unit}`,
    fixed(r.latency.p50Ms, 2),
    fixed(r.latency.p99Ms, 2),
    fixed(r.latency.maxMs, 1),
    r.rssMaxBytes === undefined ? '-' : mb(r.rssMaxBytes),
    String(r.errors),
  ]);
  return formatColumns(head, body);
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatColumns(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatChecks(checks: Check[]): string {
  const w = Math.max(...checks.map((c) => c.name.length));
  const m = Math.max(...checks.map((c) => c.measured.length));
  const t = Math.max(...checks.map((c) => c.target.length));
  return checks
    .map(
      (c) =>
        `${c.name.padEnd(w)}  ${c.measured.padStart(m)}  ${c.target.padEnd(t)}  ${c.pass ? 'PASS' : 'MISS'}`,
    )
    .join('\n');
}

export { mb };
