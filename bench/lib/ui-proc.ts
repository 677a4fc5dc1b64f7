/**
 * A process's memory and its descendants, from /proc (Linux): VmRSS and VmHWM of
 * /proc/<pid>/status, and the processes whose parent (field 4 of /proc/<pid>/stat) is a
 * given pid, e.g. the esbuild service a node spawns to bundle the web client.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory {
  rssBytes: number | undefined;
  /** The peak RSS since the process started. */
  hwmBytes: number | undefined;
}

function statusKb(status: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

export function readMemory(pid: number): ProcMemory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssBytes: statusKb(status, 'VmRSS'), hwmBytes: statusKb(status, 'VmHWM') };
  } catch {
    return { rssBytes: undefined, hwmBytes: undefined };
  }
}

export interface ChildProc {
  pid: number;
  ppid: number;
  /** The executable's name as the kernel reports it (`comm`, at most 15 characters). */
  comm: string;
  /** The command line, arguments joined by spaces (shortened). */
  cmdline: string;
  /** R (running), S (sleeping), Z (zombie)... */
  state: string;
  rssBytes: number | undefined;
}

function readProc(pid: number): ChildProc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    const [state = '?', ppid = '0'] = stat
      .slice(close + 2)
      .split(' ')
      .slice(0, 2);
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      // gone meanwhile
    }
    return {
      pid,
      ppid: Number(ppid),
      comm,
      cmdline: cmdline.length > 160 ? `${cmdline.slice(0, 157)}...` : cmdline,
      state,
      rssBytes: readMemory(pid).rssBytes,
    };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` (children, their children...), zombies included. */
export function descendants(pid: number): ChildProc[] {
  const all: ChildProc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) all.push(p);
  }
  const out: ChildProc[] = [];
  const parents = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/** `esbuild pid 123 (S, 9 MB)` for each process, or `none`. */
export function describeProcs(procs: ChildProc[]): string {
  if (procs.length === 0) return 'none';
  return procs
    .map((p) => {
      const rss = p.rssBytes === undefined ? '?' : `${(p.rssBytes / 2 ** 20).toFixed(1)} MB`;
      return `${p.comm} pid ${p.pid} (${p.state}, RSS ${rss})`;
    })
    .join('; ');
}
