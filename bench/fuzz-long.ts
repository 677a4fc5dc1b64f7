/**
 * `npm run fuzz:long`: the fuzz suites of tests/fuzz with many more runs than `npm test`
 * gives them, every distinct failure collected and printed with its reproduction
 * (FUZZ_COLLECT=1) instead of stopping at the first. Use it before a release, after a change
 * to validation, storage or sync, or to reproduce a CI failure from its seed.
 *
 *   npm run fuzz:long                          # API 20,000 and push 2,000 runs, new seed
 *   npm run fuzz:long -- --seed 123 --suite push --push-runs 5000
 *
 * The PostgreSQL server targets run when TEST_DATABASE_URL is set (as in `npm test`).
 * Vitest runs as a child process; Ctrl+C stops it (by its pid) and the exit code is its.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const USAGE = `usage: npm run fuzz:long -- [--seed N] [--suite api|push|all]
                         [--api-runs N] [--push-runs N]`;

interface Options {
  seed: number;
  suites: ('api' | 'push')[];
  apiRuns: number;
  pushRuns: number;
}

function parse(argv: string[]): Options {
  const options: Options = {
    seed: (Date.now() ^ (Math.random() * 0x7fffffff)) | 0,
    suites: ['api', 'push'],
    apiRuns: 20_000,
    pushRuns: 2_000,
  };
  const int = (name: string, text: string | undefined) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new Error(`${name} needs an integer\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--seed') options.seed = int(arg, argv[(i += 1)]);
    else if (arg === '--api-runs') options.apiRuns = int(arg, argv[(i += 1)]);
    else if (arg === '--push-runs') options.pushRuns = int(arg, argv[(i += 1)]);
    else if (arg === '--suite') {
      const suite = argv[(i += 1)];
      if (suite !== 'api' && suite !== 'push' && suite !== 'all') throw new Error(USAGE);
      options.suites = suite === 'all' ? ['api', 'push'] : [suite];
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}

function runSuite(suite: 'api' | 'push', runs: number, options: Options): Promise<number> {
  const vitest = join(import.meta.dirname, '..', 'node_modules', '.bin', 'vitest');
  const child = spawn(vitest, ['run', `tests/fuzz/${suite}.test.ts`], {
    cwd: join(import.meta.dirname, '..'),
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_SEED: String(options.seed),
      FUZZ_RUNS: String(runs),
      FUZZ_COLLECT: '1',
    },
  });
  const stop = () => {
    if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
  };
  process.once('SIGINT', stop);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      process.off('SIGINT', stop);
      resolve(code ?? 1);
    });
  });
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  console.log(`fuzz:long: seed ${options.seed}, ${options.suites.join(' + ')}`);
  let failed = false;
  for (const suite of options.suites) {
    const runs = suite === 'api' ? options.apiRuns : options.pushRuns;
    const code = await runSuite(suite, runs, options);
    if (code !== 0) failed = true;
  }
  console.log(
    `fuzz:long: ${failed ? 'FAILURES (above)' : 'no failure'}; reproduce with --seed ${options.seed}`,
  );
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
