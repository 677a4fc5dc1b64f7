/** The benchmark's command-line flags (`npm run bench -- --help`). */
import { parseArgs } from 'node:util';

export interface BenchConfig {
  only: 'all' | 'edge' | 'central';
  /** Measured seconds of each HTTP scenario. */
  seconds: number;
  /** Unmeasured warm-up seconds before each HTTP measurement (the server's JIT needs ~5 s). */
  warmup: number;
  /** Unmeasured warm-up seconds before each raw measurement (flat after ~1 s). */
  rawWarmup: number;
  /** Measured seconds of each raw baseline. */
  rawSeconds: number;
  appointments: number;
  clients: number;
  patients: number;
  /** Run the servers under `node --cpu-prof` and summarize the profiles. */
  cpuProf: boolean;
  /** Extra node options for the server processes (experiments, e.g. heap sizing). */
  nodeOptions: string[];
  /** The flags as given, for the report. */
  argv: string[];
}

export const USAGE = `npm run bench [-- options]

  --only edge|central   run one side only (default: both)
  --seconds N           measured seconds per HTTP scenario (default 10)
  --warmup N            warm-up seconds before each HTTP measurement (default 5: the
                        server's JIT keeps speeding up for ~5 s); raw: min(N, 2)
  --raw-seconds N       measured seconds per raw baseline (default: as --seconds)
  --appointments N      appointments on file before measuring (default 20000)
  --clients N           concurrent HTTP clients (default 10)
  --patients N          patients in the directory (default 2000)
  --cpu-prof            profile the server processes (node --cpu-prof), print hot spots;
                        throughput is lower while profiling
  --node-option OPT     pass OPT to the server processes' node (repeatable), e.g.
                        --node-option=--max-semi-space-size=4
  -h, --help            this text`;

export class UsageError extends Error {}

/** A numeric flag's value, `fallback` when absent; a UsageError below `min`. */
export function positive(
  name: string,
  text: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}`);
  return n;
}

/** Parses the flags; undefined means "print the usage and stop". */
export function parseConfig(argv: string[]): BenchConfig | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        seconds: { type: 'string' },
        warmup: { type: 'string' },
        'raw-seconds': { type: 'string' },
        appointments: { type: 'string' },
        clients: { type: 'string' },
        patients: { type: 'string' },
        'cpu-prof': { type: 'boolean' },
        'node-option': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  const only = values.only ?? 'all';
  if (only !== 'all' && only !== 'edge' && only !== 'central') {
    throw new UsageError('--only must be edge or central');
  }
  const seconds = positive('seconds', values.seconds, 10);
  const warmup = positive('warmup', values.warmup, 5, 0);
  return {
    only,
    seconds,
    warmup,
    rawWarmup: Math.min(warmup, 2),
    rawSeconds: positive('raw-seconds', values['raw-seconds'], seconds),
    appointments: Math.floor(positive('appointments', values.appointments, 20_000, 0)),
    clients: Math.floor(positive('clients', values.clients, 10)),
    patients: Math.floor(positive('patients', values.patients, 2000)),
    cpuProf: values['cpu-prof'] ?? false,
    nodeOptions: values['node-option'] ?? [],
    argv,
  };
}
