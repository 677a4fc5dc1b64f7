/**
 * What a fuzz suite saw: request counts by status class, violations of its properties
 * (each with a reproduction: request, status, body, log lines), and the closing line with
 * counts, time and seed.
 *
 * By default the first violation throws, so fast-check shrinks it and prints the seed
 * and path; with FUZZ_COLLECT=1 every distinct violation is kept and reported at the end.
 */
import { fuzzSettings } from './fuzz-settings';

/** One request and its answer, as the oracles judge it. */
export interface Exchange {
  /** Who asked: admin, provider, patient, anonymous, bad-token, node ... */
  actor: string;
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The route template (for grouping), e.g. `POST /api/v1/patients/{id}/`. */
  route: string;
  /** How the request was built (valid, or which mutation). */
  mutation: string;
  requestHeaders: Record<string, string>;
  /** The request body as text (gzip bodies: their inflated text, when known). */
  requestBody: string | undefined;
  status: number;
  responseText: string;
  ms: number;
  logLines: string[];
}

export interface Violation {
  /** The property broken: `5xx`, `internals`, `error-shape`, `pii`, `blocked-outbox` ... */
  property: string;
  message: string;
  exchange: Exchange;
}

const MAX_SHOWN = 600;

/** A string safe to print: control characters escaped, long runs and texts shortened. */
export function shown(text: string | undefined, max = MAX_SHOWN): string {
  if (text === undefined) return '(none)';
  const squeezed = text.replace(
    /(.)\1{40,}/gsu,
    (run, c: string) => `${c}…(×${run.length / c.length})`,
  );
  const escaped = JSON.stringify(squeezed).slice(1, -1);
  return escaped.length > max ? `${escaped.slice(0, max)}…(${text.length} chars in all)` : escaped;
}

export function formatExchange(e: Exchange): string {
  const headers = Object.entries(e.requestHeaders)
    // Credentials are the actor's (named below), not part of the case.
    .filter(([k]) => !['authorization', 'x-csrf-token'].includes(k.toLowerCase()))
    .map(([k, v]): [string, string] => [
      k,
      k.toLowerCase() === 'cookie' ? v.replace(/(_access|_refresh|_csrf)=[^;]+/g, '$1=…') : v,
    ])
    .map(([k, v]) => `${k}: ${shown(v, 120)}`)
    .join(', ');
  const auth = e.requestHeaders.Authorization ?? e.requestHeaders.authorization;
  return [
    `  request:  ${e.method} ${shown(e.url, 300)}  (as ${e.actor}${auth && e.actor === 'bad-token' ? `, Authorization: ${shown(auth, 80)}` : ''}; ${e.mutation})`,
    headers ? `  headers:  ${headers}` : undefined,
    e.requestBody !== undefined ? `  body:     ${shown(e.requestBody)}` : undefined,
    `  answer:   ${e.status} in ${e.ms} ms: ${shown(e.responseText, 400)}`,
    e.logLines.length > 0
      ? `  log:      ${e.logLines.map((l) => shown(l.trim(), 300)).join('\n            ')}`
      : undefined,
  ]
    .filter((l) => l !== undefined)
    .join('\n');
}

export function formatViolation(v: Violation): string {
  return `[${v.property}] ${v.message}\n${formatExchange(v.exchange)}`;
}

/** Groups violations that are the same failure (ids, numbers and quoted input blurred). */
function groupKey(v: Violation): string {
  const blur = (s: string) =>
    s
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\d+/g, 'N')
      .slice(0, 120);
  // A server error is known by what the log says failed, wherever it was asked.
  const logged = v.exchange.logLines
    .join('\n')
    .match(/"err":\{"type":"(\w+)","message":"((?:[^"\\]|\\.){0,80})/);
  if (v.exchange.status >= 500 && logged) {
    return `${v.property}|${v.exchange.status}|${logged[1]}|${blur(logged[2] ?? '')}`;
  }
  return `${v.property}|${v.exchange.route}|${v.exchange.status}|${blur(v.message)}`;
}

export class FuzzRecorder {
  requests = 0;
  private readonly statuses = new Map<string, number>();
  private readonly groups = new Map<string, { first: Violation; count: number }>();
  private readonly started = performance.now();

  constructor(readonly suite: string) {}

  /** Counts one request and its status class. */
  saw(e: Exchange): void {
    this.requests += 1;
    const bin = `${Math.floor(e.status / 100)}xx`;
    this.statuses.set(bin, (this.statuses.get(bin) ?? 0) + 1);
  }

  /**
   * Judges the violations of one step: any throws (fast-check then shrinks it) or, with
   * FUZZ_COLLECT, is kept for the final report.
   */
  check(fresh: readonly Violation[]): void {
    if (fresh.length === 0) return;
    if (!fuzzSettings.collect) throw new Error(fresh.map(formatViolation).join('\n\n'));
    for (const v of fresh) {
      const key = groupKey(v);
      const group = this.groups.get(key);
      if (!group) this.groups.set(key, { first: v, count: 1 });
      else {
        group.count += 1;
        // Keep the smallest reproduction of each group.
        const size = (x: Violation) =>
          x.exchange.url.length + (x.exchange.requestBody?.length ?? 0);
        if (size(v) < size(group.first)) group.first = v;
      }
    }
  }

  /** The distinct failures kept with FUZZ_COLLECT (empty otherwise). */
  report(): string {
    return [...this.groups.values()]
      .map(({ first, count }, i) => `#${i + 1} (${count}×) ${formatViolation(first)}`)
      .join('\n\n');
  }

  get distinctFailures(): number {
    return this.groups.size;
  }

  /** `fuzz api/pglite: 1,800 requests in 42 s, seed 123 (2xx 600, 4xx 1,200)`. */
  summary(): string {
    const seconds = Math.round((performance.now() - this.started) / 1000);
    const bins = [...this.statuses.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([bin, n]) => `${bin} ${n.toLocaleString('en-US')}`)
      .join(', ');
    const extra = bins;
    const failures = fuzzSettings.collect ? `, ${this.groups.size} distinct failure(s)` : '';
    return `fuzz ${this.suite}: ${this.requests.toLocaleString('en-US')} requests in ${seconds} s, seed ${fuzzSettings.seed}${failures} (${extra})`;
  }

  /** Prints the failures collected with FUZZ_COLLECT and throws if there are any. */
  finish(): void {
    if (this.groups.size > 0) {
      const text = `fuzz ${this.suite}: ${this.groups.size} distinct failure(s)\n\n${this.report()}`;
      process.stdout.write(`${text}\n`);
      throw new Error(text);
    }
  }
}
