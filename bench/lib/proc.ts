/**
 * Reading another process's memory and CPU time from /proc (Linux): VmRSS from
 * /proc/<pid>/status, user + system time from /proc/<pid>/stat. A sampler polls the
 * RSS during the measured load and keeps the maximum.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** The resident set size of `pid` in bytes, or undefined if it cannot be read. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The peak resident set size of `pid` since it started (VmHWM), in bytes. */
export function readPeakRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) `pid` has used, in milliseconds. */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

export interface RssStats {
  maxBytes: number;
  meanBytes: number;
  samples: number;
}

/** Samples the RSS of `pid` every `everyMs` until `stop()`. */
export function sampleRss(pid: number, everyMs = 100): { stop(): RssStats } {
  let max = 0;
  let sum = 0;
  let n = 0;
  const take = () => {
    const rss = readRssBytes(pid);
    if (rss === undefined) return;
    max = Math.max(max, rss);
    sum += rss;
    n += 1;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxBytes: max, meanBytes: n ? sum / n : 0, samples: n };
    },
  };
}
