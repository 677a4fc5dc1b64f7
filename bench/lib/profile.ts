/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`, see `--cpu-prof` of run.ts): the
 * functions with the most self time (anything: our code, dependencies, node internals,
 * SQLite / PGlite native or wasm code), and the functions of OUR code (packages/, apps/)
 * with the most inclusive time (self + callees). Percentages are of the non-idle samples.
 *
 * tsx strips the whitespace of the code it compiles, so the profile's line numbers are
 * useless for .ts files; the line shown is where the function is defined in the source
 * (found by name), marked with `~`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  ms: number;
  percent: number;
  where: string;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  /** Self time grouped by where the code lives (package, node module, engine). */
  byComponent: ProfileEntry[];
  topSelf: ProfileEntry[];
  topOursInclusive: ProfileEntry[];
}

const NOT_BUSY = new Set(['(idle)', '(program)', '(garbage collector)']);

const lineCache = new Map<string, string[]>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The 1-based line where `name` is defined in `file`, or undefined. */
function definitionLine(file: string, name: string): number | undefined {
  if (!name || !existsSync(file)) return undefined;
  let lines = lineCache.get(file);
  if (!lines) {
    lines = readFileSync(file, 'utf8').split('\n');
    lineCache.set(file, lines);
  }
  const n = escapeRegExp(name);
  const patterns = [
    new RegExp(`\\bfunction\\s*\\*?\\s*${n}\\s*[<(]`),
    new RegExp(`^\\s*(?:export\\s+)?(?:const|let)\\s+${n}\\s*[:=]`),
    new RegExp(
      `^\\s*(?:(?:public|private|protected|static|override|readonly|async|get|set)\\s+)*${n}\\s*[<(]`,
    ),
    new RegExp(`^\\s*(?:async\\s+)?${n}\\s*:`),
    new RegExp(`\\b${n}\\s*[:=]\\s*(?:async\\s*)?(?:\\(|function)`),
  ];
  for (const re of patterns) {
    const i = lines.findIndex((line) => re.test(line));
    if (i >= 0) return i + 1;
  }
  return undefined;
}

function describe(frame: CallFrame, root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  if (!frame.url.startsWith('file://')) return `${name} ${frame.url}`;
  const file = fileURLToPath(frame.url);
  const rel = relative(root, file);
  if (rel.startsWith('node_modules')) {
    // Dependencies: the package is what matters.
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel)?.[1] ?? rel;
    return `${name} [${pkg}]`;
  }
  const isTs = file.endsWith('.ts');
  const line = isTs ? definitionLine(file, frame.functionName) : frame.lineNumber + 1;
  return `${name} ${rel}${line === undefined ? '' : `:${isTs ? '~' : ''}${line}`}`;
}

/**
 * Where a frame's code lives. A JS function that calls into native code (better-sqlite3's
 * statement methods, PGlite's wasm) is charged with the native time, so the SQLite
 * statement wrappers of the adapter are reported as "SQLite".
 */
function component(frame: CallFrame, root: string): string {
  const { url, functionName } = frame;
  if (url.startsWith('wasm://')) return 'PGlite engine (Postgres compiled to wasm)';
  if (url === '') return 'native calls (fs, sockets, crypto, ...)';
  if (url.startsWith('node:internal/deps/undici')) return 'node: undici (WHATWG Request/Headers)';
  if (url.startsWith('node:')) {
    const rest = url.replace(/^node:(internal\/)?/, '');
    const first = rest.split('/')[0] ?? rest;
    return `node: ${first.replace(/^_/, '').split('_')[0] ?? first}`;
  }
  if (!url.startsWith('file://')) return url;
  const rel = relative(root, fileURLToPath(url));
  const dep = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel)?.[1];
  if (dep) return dep;
  if (
    rel.endsWith('store-sqlite/src/statement-cache.ts') &&
    /^(run|all|get1|get)$/.test(functionName)
  ) {
    return 'SQLite engine (better-sqlite3 statement calls, fsync included)';
  }
  const pkg = /^(packages|apps)\/([^/]+)\//.exec(rel);
  if (pkg) return pkg[1] === 'apps' ? `apps/${pkg[2]}` : `@clinic/${pkg[2]}`;
  return rel;
}

function isOurs(frame: CallFrame, root: string): boolean {
  if (!frame.url.startsWith('file://')) return false;
  const rel = relative(root, fileURLToPath(frame.url));
  return rel.startsWith('packages/') || rel.startsWith('apps/');
}

export function summarizeProfile(file: string, root: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfById = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfById.set(id, (selfById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const self = new Map<string, number>();
  const components = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfById) {
    const node = byId.get(id);
    if (!node || NOT_BUSY.has(node.callFrame.functionName)) continue;
    busy += us;
    const key = describe(node.callFrame, root);
    self.set(key, (self.get(key) ?? 0) + us);
    const where = component(node.callFrame, root);
    components.set(where, (components.get(where) ?? 0) + us);
    // Inclusive: every distinct function of ours on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame || !isOurs(frame, root)) continue;
      const k = describe(frame, root);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const ranked = (m: Map<string, number>): ProfileEntry[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({ where, ms: us / 1000, percent: busy ? (100 * us) / busy : 0 }));
  return {
    file,
    busyMs: busy / 1000,
    byComponent: ranked(components),
    topSelf: ranked(self),
    topOursInclusive: ranked(inclusive),
  };
}

/**
 * The summary of the busiest .cpuprofile in `dir` (node writes one per thread: with tsx
 * the module loader thread has its own, nearly idle after start-up), if any.
 */
export function summarizeBusiestProfile(
  dir: string,
  root: string,
  top = 15,
): ProfileSummary | undefined {
  if (!existsSync(dir)) return undefined;
  const summaries = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(join(dir, f), root, top));
  return summaries.sort((a, b) => b.busyMs - a.busyMs)[0];
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const row = (e: ProfileEntry) =>
    `  ${e.ms.toFixed(0).padStart(7)} ms ${e.percent.toFixed(1).padStart(5)}%  ${e.where}`;
  return [
    `${title}: ${(s.busyMs / 1000).toFixed(1)} s with the thread busy (running, or blocked in a native call such as fsync) (${s.file})`,
    ' self time by component:',
    ...s.byComponent.slice(0, 12).map(row),
    ' self time (top):',
    ...s.topSelf.map(row),
    ' inclusive time in our code (top):',
    ...s.topOursInclusive.map(row),
  ].join('\n');
}
