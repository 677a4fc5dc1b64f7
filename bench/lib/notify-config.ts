/** The notification benchmark's command-line flags (`npm run bench:notify -- --help`). */
import { parseArgs } from 'node:util';
import { UsageError, positive } from './config';

export interface NotifyBenchConfig {
  only: 'all' | 'throughput' | 'booking';
  /** Pending emails the dispatcher throughput run starts with. */
  notifications: number;
  /** Measured seconds of each booking run. */
  seconds: number;
  /** Unmeasured warm-up seconds before each booking measurement. */
  warmup: number;
  /** Appointments on file in the booking runs' data dirs. */
  appointments: number;
  clients: number;
  patients: number;
  /** Longest wait, after run (b)'s load, for the node to send what the load queued. */
  drainSeconds: number;
  /** Run (c)'s emails already queued when the node starts; 0 skips run (c). */
  backlog: number;
  /** The flags as given, for the report. */
  argv: string[];
}

export const NOTIFY_USAGE = `npm run bench:notify [-- options]

Issue 4's benchmark: (1) a real \`clinic edge\` with --smtp-url delivering a backlog of
pending emails to a local SMTP server; (2) booking over HTTP on the edge (a) without a
transport, (b) with --smtp-url (the dispatcher sends each booking's emails meanwhile) and
(c) with --smtp-url and a backlog already queued, so the dispatcher is sending from the
start. Default run: about 2 minutes.

  --only throughput|booking   run one part only (default: both)
  --notifications N     pending emails the throughput run starts with (default 5000)
  --seconds N           measured seconds per booking run (default 8)
  --warmup N            warm-up seconds before each booking measurement (default 3)
  --appointments N      appointments on file in the booking runs (default 20000)
  --clients N           concurrent HTTP clients booking (default 10)
  --patients N          patients in the directory (default 2000)
  --drain-seconds N     after the load with --smtp-url, wait at most N s for the node to
                        send what the load queued (default 30)
  --backlog N           emails already queued in run (c) (default 1000; 0: no run (c))
  -h, --help            this text`;

/** Parses the flags; undefined means "print the usage and stop". */
export function parseNotifyConfig(argv: string[]): NotifyBenchConfig | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        notifications: { type: 'string' },
        seconds: { type: 'string' },
        warmup: { type: 'string' },
        appointments: { type: 'string' },
        clients: { type: 'string' },
        patients: { type: 'string' },
        'drain-seconds': { type: 'string' },
        backlog: { type: 'string' },
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
  if (only !== 'all' && only !== 'throughput' && only !== 'booking') {
    throw new UsageError('--only must be throughput or booking');
  }
  return {
    only,
    notifications: Math.floor(positive('notifications', values.notifications, 5000)),
    seconds: positive('seconds', values.seconds, 8),
    warmup: positive('warmup', values.warmup, 3, 0),
    appointments: Math.floor(positive('appointments', values.appointments, 20_000, 0)),
    clients: Math.floor(positive('clients', values.clients, 10)),
    patients: Math.floor(positive('patients', values.patients, 2000)),
    drainSeconds: positive('drain-seconds', values['drain-seconds'], 30, 0),
    backlog: Math.floor(positive('backlog', values.backlog, 1000, 0)),
    argv,
  };
}
