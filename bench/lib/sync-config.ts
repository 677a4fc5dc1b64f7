/** The sync benchmark's command-line flags (`npm run bench:sync -- --help`). */
import { parseArgs } from 'node:util';

export const SYNC_SCENARIOS = ['reconcile', 'push-bytes', 'catchup'] as const;
export type SyncScenario = (typeof SYNC_SCENARIOS)[number];

export interface SyncBenchConfig {
  only: SyncScenario[];
  appointments: number;
  mutations: number;
  /** The PostgreSQL server (any database on it; a fresh one is created), or undefined. */
  databaseUrl: string | undefined;
  databaseUrlSource: '--database-url' | 'TEST_DATABASE_URL' | 'none';
  /** Facilities the benchmark node is enrolled for (of the dataset's 8). */
  nodeFacilities: number;
  rawSeconds: number;
  rawWarmupSeconds: number;
  catchupWrites: number;
  catchupClients: number;
  catchupSeedEdge: boolean;
  cpuProf: boolean;
  argv: string[];
}

export const SYNC_USAGE = `npm run bench:sync [-- options]

  --only S                reconcile | push-bytes | catchup (repeatable; default: all three)
  --appointments N        appointments on file at central (default 100000)
  --mutations N           measured pushed mutations per database (default 2000; plus one
                          unmeasured warm-up batch of 200)
  --database-url URL      also run reconcile on this PostgreSQL server, in a fresh database
                          clinic_bench_<pid> dropped afterwards (default: TEST_DATABASE_URL;
                          neither: PGlite only)
  --node-facilities N     facilities the node is enrolled for (default 4 of 8)
  --raw-seconds N         measured seconds of each raw baseline (default 5, after 1 s warm-up)
  --catchup-writes N      bookings the node makes while central is down (default 1000)
  --catchup-seed-edge     copy central's directory into the node before its first start
                          instead of pulling it (measures the push side while pull is missing)
  --cpu-prof              run central under node --cpu-prof in reconcile, print hot spots
  -h, --help              this text`;

export class SyncUsageError extends Error {}

function count(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new SyncUsageError(`--${name} must be an integer >= ${min}`);
  return n;
}

/** Parses the flags; undefined means "print the usage and stop". */
export function parseSyncConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
): SyncBenchConfig | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string', multiple: true },
        appointments: { type: 'string' },
        mutations: { type: 'string' },
        'database-url': { type: 'string' },
        'node-facilities': { type: 'string' },
        'raw-seconds': { type: 'string' },
        'catchup-writes': { type: 'string' },
        'catchup-seed-edge': { type: 'boolean' },
        'cpu-prof': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new SyncUsageError((err as Error).message);
  }
  if (values.help) return undefined;
  const only = (values.only ?? [...SYNC_SCENARIOS]).flatMap((o) => o.split(','));
  for (const o of only) {
    if (!SYNC_SCENARIOS.includes(o as SyncScenario)) {
      throw new SyncUsageError(`--only must be one of ${SYNC_SCENARIOS.join(', ')}`);
    }
  }
  const fromFlag = values['database-url'];
  const fromEnv = env.TEST_DATABASE_URL;
  const databaseUrl = fromFlag || fromEnv || undefined;
  if (databaseUrl !== undefined) {
    try {
      const u = new URL(databaseUrl);
      if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error('not postgres');
    } catch {
      throw new SyncUsageError('--database-url must be a postgres:// URL');
    }
  }
  return {
    only: [...new Set(only as SyncScenario[])],
    appointments: count('appointments', values.appointments, 100_000, 0),
    mutations: count('mutations', values.mutations, 2000),
    databaseUrl,
    databaseUrlSource: fromFlag ? '--database-url' : fromEnv ? 'TEST_DATABASE_URL' : 'none',
    nodeFacilities: count('node-facilities', values['node-facilities'], 4),
    rawSeconds: count('raw-seconds', values['raw-seconds'], 5),
    rawWarmupSeconds: 1,
    catchupWrites: count('catchup-writes', values['catchup-writes'], 1000),
    catchupClients: 4,
    catchupSeedEdge: values['catchup-seed-edge'] ?? false,
    cpuProf: values['cpu-prof'] ?? false,
    argv,
  };
}
