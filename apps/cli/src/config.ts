/**
 * The one place where configuration is read: command-line flags, environment variables and
 * the secret files flags name, parsed and checked with zod. Nothing else in the system
 * reads process.env.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { readSecretFile, SecretFileError } from './secret-file';

export const COMMANDS = ['central', 'edge', 'demo'] as const;
export type Command = (typeof COMMANDS)[number];

const port = z.coerce.number().int().min(0).max(65535);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Reverse proxies whose X-Forwarded-For names the client: IP literals, comma-separated. */
const trustedProxies = z
  .string()
  .transform((list) =>
    list
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
  )
  .pipe(
    z.array(
      z.string().refine((a) => isIP(a) !== 0, {
        error: (issue) => `"${String(issue.input)}" is not an IPv4 or IPv6 address`,
      }),
    ),
  )
  .default([]);

const common = {
  host: z.string().min(1).default('127.0.0.1'),
  data: z.string().min(1),
  logLevel: logLevel.default('info'),
  trustedProxies,
};
/** Notification delivery: the same flags on central and on a clinic node. */
const notify = {
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  mailFrom: z
    .string()
    .regex(
      /^(?:[^<>@]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/,
      'must be an email address, optionally with a name: "Hope Clinic <noreply@example.org>"',
    )
    .optional(),
  smsGateway: z
    .string()
    .regex(
      /^(log|africastalking|twilio|webhook:https?:\/\/.+)$/,
      'must be log, webhook:URL, africastalking or twilio',
    )
    .optional(),
  reminderHours: z.coerce
    .number()
    .min(0)
    .max(24 * 14)
    .default(24),
  notifyMaxAttempts: z.coerce.number().int().min(1).max(100).default(8),
  /** The first retry's delay (env only: for tests and unusual links). */
  notifyRetryBaseMs: z.coerce.number().int().min(100).max(30_000).default(10_000),
};
const admin = {
  adminUser: z.string().min(1).max(150).optional(),
  adminPassword: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
};

export const centralConfig = z
  .object({
    ...common,
    ...admin,
    ...notify,
    port: port.default(8080),
    databaseUrl: z.url().optional(),
  })
  .refine((c) => (c.adminUser === undefined) === (c.adminPassword === undefined), {
    message: '--admin-user and --admin-password go together',
  });
export const edgeConfig = z
  .object({
    ...common,
    ...admin,
    ...notify,
    port: port.default(8081),
    central: z.url().optional(),
    token: z.string().optional(),
  })
  .refine((c) => (c.adminUser === undefined) === (c.adminPassword === undefined), {
    message: '--admin-user and --admin-password go together',
  });
export const demoConfig = z.object({
  host: common.host,
  data: z.string().min(1).default('./data'),
  logLevel: logLevel.default('warn'),
  port: port.default(8080),
});

export type CentralConfig = z.output<typeof centralConfig>;
export type EdgeConfig = z.output<typeof edgeConfig>;
export type DemoConfig = z.output<typeof demoConfig>;

/** `warnings`: one line each for the operator (stderr), e.g. a secret given on the command line. */
export type ParsedCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'central'; config: CentralConfig; warnings: string[] }
  | { command: 'edge'; config: EdgeConfig; warnings: string[] }
  | { command: 'demo'; config: DemoConfig; warnings: string[] };

export class ConfigError extends Error {}

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  'database-url': { type: 'string' },
  'admin-user': { type: 'string' },
  'admin-password': { type: 'string' },
  'admin-password-file': { type: 'string' },
  central: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'smtp-url': { type: 'string' },
  'mail-from': { type: 'string' },
  'sms-gateway': { type: 'string' },
  'reminder-hours': { type: 'string' },
  'notify-max-attempts': { type: 'string' },
  'log-level': { type: 'string' },
  'trusted-proxy': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** `sources`: the flag or variable a value came from, where it is not the field's own flag. */
function describe(error: z.ZodError, sources: Record<string, string> = {}): string {
  return error.issues
    .map((i) => {
      const flag = i.path
        .filter((p) => typeof p !== 'number') // an item of a list: its flag names it
        .map(
          (p) =>
            sources[String(p)] ??
            `--${String(p).replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`,
        )
        .join(' ');
      return flag ? `${flag}: ${i.message}` : i.message;
    })
    .join('\n');
}

/** The secrets that have a flag, a file flag and a variable, and the commands that take them. */
const SECRETS = [
  {
    field: 'adminPassword',
    flag: 'admin-password',
    env: 'CLINIC_ADMIN_PASSWORD',
    commands: ['central', 'edge'],
  },
  { field: 'token', flag: 'token', env: 'CLINIC_NODE_TOKEN', commands: ['edge'] },
] as const;
type SecretSpec = (typeof SECRETS)[number];

/**
 * A secret from `--NAME`, `--NAME-file PATH` or the environment variable, in that order,
 * with the flag or variable it came from. `--NAME` works but every local user sees it in
 * `ps`: it gets a warning naming the safer ways, as does a file other users may read.
 * Both flags at once are refused; so is a file that is missing, unreadable or empty.
 */
function readSecret(
  spec: SecretSpec,
  given: { direct?: string | undefined; file?: string | undefined; env?: string | undefined },
  warnings: string[],
): { value: string | undefined; source: string } {
  const { flag } = spec;
  if (given.direct !== undefined && given.file !== undefined)
    throw new ConfigError(`--${flag} and --${flag}-file: give only one of them`);
  if (given.file !== undefined) {
    let read;
    try {
      read = readSecretFile(given.file);
    } catch (err) {
      if (err instanceof SecretFileError) throw new ConfigError(`--${flag}-file: ${err.message}`);
      throw err;
    }
    if (read.looseMode !== undefined) {
      warnings.push(
        `--${flag}-file ${given.file} is open to other users ` +
          `(mode ${read.looseMode.toString(8)}): chmod 600 it`,
      );
    }
    return { value: read.value, source: `--${flag}-file` };
  }
  if (given.direct !== undefined && given.direct !== '') {
    warnings.push(
      `--${flag} on the command line is visible to every local user (ps): ` +
        `use --${flag}-file PATH or ${spec.env} instead`,
    );
    return { value: given.direct, source: `--${flag}` };
  }
  return { value: given.env, source: spec.env };
}

/** Parses `argv` (without node and script) and `env` into one checked command. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) return { command: 'version' };
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') return { command: 'help' };
  if (!COMMANDS.includes(command as Command)) throw new ConfigError(`unknown command "${command}"`);
  if (positionals.length > 1) throw new ConfigError(`unexpected argument "${positionals[1]}"`);

  const warnings: string[] = [];
  const secrets: Partial<Record<SecretSpec['field'], string>> = {};
  const sources: Record<string, string> = {};
  for (const spec of SECRETS) {
    if (!(spec.commands as readonly string[]).includes(command)) continue;
    const given = {
      direct: values[spec.flag],
      file: values[`${spec.flag}-file`],
      env: env[spec.env],
    };
    const { value, source } = readSecret(spec, given, warnings);
    if (value !== undefined) secrets[spec.field] = value;
    sources[spec.field] = source;
  }

  const raw = {
    port: values.port,
    host: values.host,
    data: values.data,
    logLevel: values['log-level'] ?? env.LOG_LEVEL,
    adminUser: values['admin-user'] ?? env.CLINIC_ADMIN_USER,
    adminPassword: secrets.adminPassword,
    databaseUrl: values['database-url'] ?? env.DATABASE_URL,
    central: values.central,
    token: secrets.token,
    // An SMTP URL may hold a password: CLINIC_SMTP_URL keeps it out of `ps`.
    smtpUrl: values['smtp-url'] ?? env.CLINIC_SMTP_URL,
    mailFrom: values['mail-from'] ?? env.CLINIC_MAIL_FROM,
    smsGateway: values['sms-gateway'] ?? env.CLINIC_SMS_GATEWAY,
    reminderHours: values['reminder-hours'] ?? env.CLINIC_REMINDER_HOURS,
    notifyMaxAttempts: values['notify-max-attempts'] ?? env.CLINIC_NOTIFY_MAX_ATTEMPTS,
    notifyRetryBaseMs: env.CLINIC_NOTIFY_RETRY_BASE_MS,
    trustedProxies: values['trusted-proxy']?.join(',') ?? env.CLINIC_TRUSTED_PROXIES,
  };
  sources.trustedProxies = values['trusted-proxy'] ? '--trusted-proxy' : 'CLINIC_TRUSTED_PROXIES';
  const strip = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));

  const schema = { central: centralConfig, edge: edgeConfig, demo: demoConfig }[command as Command];
  const input =
    command === 'demo'
      ? strip({ port: raw.port, host: raw.host, data: raw.data, logLevel: values['log-level'] })
      : strip(raw);
  if (command !== 'demo' && input.data === undefined)
    throw new ConfigError('--data DIR is required');
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(describe(result.error, sources));
  return { command, config: result.data, warnings } as ParsedCommand;
}

export const HELP = `clinic: offline-first appointment scheduling for rural health clinics

Usage:
  clinic demo [--port P] [--data DIR]
      Central on P (default 8080) and one clinic node on P+1, embedded databases
      under DIR (default ./data), demo data on first run. Prints URLs and logins.
  clinic central --port P --data DIR [--database-url URL]
                 [--admin-user U --admin-password-file F] [notification options]
      The central server. PostgreSQL: embedded PGlite in DIR unless --database-url
      (or DATABASE_URL) names a server. Delivers email and SMS (to the log unless
      --smtp-url / --sms-gateway say otherwise), its own and those clinic nodes relay.
  clinic edge --port P --data DIR [--central URL --token-file F]
              [--admin-user U --admin-password-file F] [notification options]
      A clinic node on a SQLite file in DIR. On first start, --central and the node
      token (from POST /api/v1/nodes/ on central) enroll it; later starts need only
      --data. It syncs with central in the background. Without --smtp-url /
      --sms-gateway it relays its notifications through central.

Notification options (central and edge):
  --smtp-url URL        smtp://[user:pass@]host:port or smtps://... (or CLINIC_SMTP_URL,
                        which keeps a password out of the process list)
  --mail-from ADDR      the From address (or CLINIC_MAIL_FROM; default clinic-scheduler@localhost)
  --sms-gateway SPEC    log | webhook:URL | africastalking | twilio (or CLINIC_SMS_GATEWAY).
                        Secrets come from the environment only: CLINIC_SMS_WEBHOOK_TOKEN;
                        AT_USERNAME, AT_API_KEY, AT_SENDER_ID; TWILIO_ACCOUNT_SID,
                        TWILIO_AUTH_TOKEN, TWILIO_FROM
  --reminder-hours N    reminders N hours before the start (default 24; 0: none)
  --notify-max-attempts N
                        delivery attempts before the dead letter (default 8)

Options:
  --host H              address to bind (default 127.0.0.1)
  --trusted-proxy ADDR[,ADDR...]
                        IP addresses of reverse proxies (TLS in front of the node) whose
                        X-Forwarded-For names the client, for login throttling; their
                        connections have no per-address cap (or CLINIC_TRUSTED_PROXIES).
                        Without it, X-Forwarded-For is ignored
  --admin-user U        create this admin on first start (harmless later)
  --admin-password-file F
                        its password, read from file F (or CLINIC_ADMIN_PASSWORD)
  --token-file F        the node token, read from file F (or CLINIC_NODE_TOKEN)
  --admin-password W, --token T
                        the same on the command line, where every local user sees them
                        (ps): accepted with a warning
  --log-level L         fatal|error|warn|info|debug|trace|silent (or LOG_LEVEL)
  -h, --help            this text
  -v, --version         the version

A data directory holds the node's database, keys and node token: it is created 0700 with
files 0600, and an existing one is made so on start. SIGINT or SIGTERM shuts a server
down cleanly.`;
