/** The UI benchmark's command-line flags (`npm run bench:ui -- --help`). */
import { parseArgs } from 'node:util';

export interface UiBenchConfig {
  /** Appointments on file on the seeded node. */
  appointments: number;
  /** Browser runs per timing (median reported). */
  runs: number;
  /** Sequential schedule fetches per range (day, week), HTTP and raw each. */
  requests: number;
  /** Freshly started nodes whose first GET /ui/app.js is timed (the esbuild build). */
  coldStarts: number;
  /** Warm GET /ui/app.js per kind (200 and 304). */
  warm: number;
  /** Skip the browser timings (no Chromium needed). */
  noBrowser: boolean;
  /** The flags as given, for the report. */
  argv: string[];
}

export const UI_USAGE = `npm run bench:ui [-- options]

  --appointments N   appointments on file on the seeded clinic node (default 20000)
  --runs N           browser runs per timing, median reported (default 5)
  --requests N       sequential schedule fetches per range, HTTP and raw each (default 200)
  --cold-starts N    fresh node starts whose first GET /ui/app.js is timed (default 3)
  --warm N           warm GET /ui/app.js per kind, 200 and 304 (default 20)
  --no-browser       skip the Chromium timings
  -h, --help         this text`;

export class UiUsageError extends Error {}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UiUsageError(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** The configuration, or undefined when --help was asked. */
export function parseUiConfig(argv: string[]): UiBenchConfig | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        appointments: { type: 'string' },
        runs: { type: 'string' },
        requests: { type: 'string' },
        'cold-starts': { type: 'string' },
        warm: { type: 'string' },
        'no-browser': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UiUsageError((err as Error).message);
  }
  if (values.help) return undefined;
  return {
    appointments: positiveInt('appointments', values.appointments, 20_000),
    runs: positiveInt('runs', values.runs, 5),
    requests: positiveInt('requests', values.requests, 200),
    coldStarts: positiveInt('cold-starts', values['cold-starts'], 3),
    warm: positiveInt('warm', values.warm, 20),
    noBrowser: values['no-browser'] ?? false,
    argv,
  };
}
