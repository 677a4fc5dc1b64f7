/**
 * The `clinic` command: parses configuration once, starts central, a clinic node, or
 * the demo (both), and shuts them down cleanly on SIGINT/SIGTERM.
 */
import { createLogger } from '@clinic/api';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, HELP, parseCommand, type DemoConfig } from './config';
import { notifySetup } from './notify-config';
import {
  DEMO_ADMIN,
  DEMO_CLINIC_FACILITY,
  DEMO_PASSWORD,
  DEMO_STAFF,
  seedDemoData,
} from './demo-data';

// Before anything creates a file: a node's databases and keys are its user's alone
// (directories 0700, files 0600), whatever umask the shell or service manager left.
process.umask(0o077);

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

type Stoppable = { stop(): Promise<void> };

/**
 * Installs SIGINT/SIGTERM handlers BEFORE anything starts; servers register in
 * `running` as they come up, so a signal during start-up still shuts down cleanly.
 */
function onShutdown(running: Stoppable[]): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down…`);
    // Newest first: the clinic node stops before the central it may talk to.
    Promise.all([...running].reverse().map((r) => r.stop()))
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error('shutdown failed:', err);
        process.exit(1);
      });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** Says at start which proxies the node believes about the client's address. */
function trustingLine(proxies: readonly string[]): string {
  return `client addresses from X-Forwarded-For when the peer is a trusted proxy: ${proxies.join(', ')}`;
}

// Each command loads only what it runs: a clinic node never loads PGlite or pg (~46 MB).
const loadCentral = () => import('@clinic/central');
const loadEdge = () => import('@clinic/edge');

/** The demo's clinic node serves Hope Clinic; central enrolls it on the first run. */
async function demoNodeToken(
  central: Awaited<ReturnType<Awaited<ReturnType<typeof loadCentral>>['startCentral']>>,
  clinicDir: string,
): Promise<string | undefined> {
  if (existsSync(join(clinicDir, 'clinic.db'))) return undefined; // enrolled on an earlier run
  const nodes = central.runtime.deps.nodes;
  const facilities = await central.runtime.directory.facilities.list({ limit: 100, offset: 0 });
  const hope = facilities.rows.find((f) => f.name === DEMO_CLINIC_FACILITY);
  if (!nodes || !hope) return undefined;
  return (await nodes.enroll({ name: 'Hope Clinic front desk', facilities: [hope.id] })).token;
}

async function runDemo(config: DemoConfig, running: Stoppable[]): Promise<void> {
  const [{ startCentral }, { startEdge }, { prepareDataDir }] = await Promise.all([
    loadCentral(),
    loadEdge(),
    import('@clinic/server'),
  ]);
  const logger = createLogger({ level: config.logLevel });
  const data = resolve(config.data);
  // ./data itself, not only central/ and clinic/ under it.
  prepareDataDir(data, logger);
  console.log(`Starting the demo (data in ${data}; the first start takes a few seconds)…`);
  // The demo sends nothing: central writes each email and SMS to this output instead,
  // once the banner is out (the demo data's own notices are only counted before that).
  let bannerShown = false;
  let beforeBanner = 0;
  const notify = notifySetup(
    'central',
    { reminderHours: 24, notifyMaxAttempts: 8, notifyRetryBaseMs: 10_000 },
    {},
    (line) => {
      if (bannerShown) console.log(`  [central] ${line}`);
      else beforeBanner += 1;
    },
  );
  const central = await startCentral({
    notify: notify.options,
    port: config.port,
    host: config.host,
    dataDir: join(data, 'central'),
    logger: logger.child({ node: 'central' }),
    version: VERSION,
    admin: DEMO_ADMIN,
  });
  running.push(central);
  const seeded = await seedDemoData(central.runtime);
  const clinicDir = join(data, 'clinic');
  const token = await demoNodeToken(central, clinicDir);
  const edge = await startEdge({
    port: config.port === 0 ? 0 : config.port + 1,
    host: config.host,
    dataDir: clinicDir,
    logger: logger.child({ node: 'clinic' }),
    version: VERSION,
    central: central.server.url,
    token,
  });
  running.push(edge);
  console.log(`
  Open in a browser (works offline; everything is served by the node itself):
    Clinic node  ${edge.server.url}/   front desk: schedule, booking, sync status
    Central      ${central.server.url}/   regional admin: conflicts, nodes, search
  API docs: ${edge.server.url}/api/v1/docs and ${central.server.url}/api/v1/docs

  ${seeded ? 'Demo data created on central.' : 'Demo data already present.'}
  Notifications use the log transports: nothing is sent; central prints one line per
  email and SMS here (the clinic node relays its own through central). Give
  clinic central / clinic edge --smtp-url and --sms-gateway for real delivery.
  The clinic node is enrolled for ${DEMO_CLINIC_FACILITY} and syncs with central in the
  background (every 5 s, and right after each booking): its staff, patients and bookings
  come from central, its own bookings go to central, and double bookings that no one could
  see offline show up as conflicts (GET /api/v1/conflicts/ on both).

  Logins (the web pages, or POST /api/v1/auth/token/ with {"username", "password"}):
    admin        ${DEMO_ADMIN.username} / ${DEMO_ADMIN.password}   (central)
    providers    ${DEMO_STAFF.map((s) => s.username).join(', ')} / ${DEMO_PASSWORD}   (central and the clinic node)

  Try:
    curl -s -X POST ${edge.server.url}/api/v1/auth/token/ -H 'Content-Type: application/json' \\
      -d '{"username":"dr.amina","password":"${DEMO_PASSWORD}"}'
    then GET ${edge.server.url}/api/v1/sync/status/ with the token.

  Press Ctrl+C to stop.
`);
  bannerShown = true;
  if (beforeBanner > 0) {
    console.log(
      `  [central] ${beforeBanner} notifications of the demo data written to the log (not sent)`,
    );
  }
}

async function main(): Promise<void> {
  const parsed = parseCommand(process.argv.slice(2), process.env);
  if ('warnings' in parsed) for (const w of parsed.warnings) console.error(`clinic: warning: ${w}`);
  const running: Stoppable[] = [];
  if (parsed.command !== 'help' && parsed.command !== 'version') onShutdown(running);
  switch (parsed.command) {
    case 'help':
      console.log(HELP);
      return;
    case 'version':
      console.log(VERSION);
      return;
    case 'demo':
      await runDemo(parsed.config, running);
      return;
    case 'central': {
      const c = parsed.config;
      const logger = createLogger({ level: c.logLevel });
      const { startCentral } = await loadCentral();
      const notify = notifySetup('central', c, process.env, (line) => logger.info(line));
      const central = await startCentral({
        notify: notify.options,
        port: c.port,
        host: c.host,
        dataDir: resolve(c.data),
        ...(c.databaseUrl && { databaseUrl: c.databaseUrl }),
        trustedProxies: c.trustedProxies,
        logger,
        version: VERSION,
        ...(c.adminUser &&
          c.adminPassword && { admin: { username: c.adminUser, password: c.adminPassword } }),
      });
      running.push(central);
      console.log(
        `central listening on ${central.server.url} (database: ${central.runtime.store.kind})`,
      );
      console.log(notify.summary);
      if (c.trustedProxies.length > 0) console.log(trustingLine(c.trustedProxies));
      return;
    }
    case 'edge': {
      const c = parsed.config;
      const logger = createLogger({ level: c.logLevel });
      const { startEdge } = await loadEdge();
      const notify = notifySetup('edge', c, process.env, (line) => logger.info(line));
      const edge = await startEdge({
        notify: notify.options,
        port: c.port,
        host: c.host,
        dataDir: resolve(c.data),
        logger,
        version: VERSION,
        central: c.central,
        token: c.token,
        trustedProxies: c.trustedProxies,
        ...(c.adminUser &&
          c.adminPassword && { admin: { username: c.adminUser, password: c.adminPassword } }),
      });
      running.push(edge);
      console.log(`clinic node listening on ${edge.server.url} (node ${edge.runtime.nodeId})`);
      console.log(notify.summary);
      if (c.trustedProxies.length > 0) console.log(trustingLine(c.trustedProxies));
      console.log(
        edge.enrollment
          ? `syncing with central ${edge.enrollment.centralUrl} as "${edge.enrollment.name}"`
          : 'not enrolled with central: running standalone (start with --central URL --token T to enroll)',
      );
      return;
    }
  }
}

main().catch((err: unknown) => {
  const refused = ['EnrollmentError', 'NotifyConfigError'];
  if (err instanceof ConfigError || (err instanceof Error && refused.includes(err.name))) {
    console.error(`clinic: ${err.message}\nRun "clinic --help" for usage.`);
    process.exit(2);
  }
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    console.error(`clinic: ${(err as Error).message} (is another server running on that port?)`);
    process.exit(1);
  }
  console.error('clinic: failed to start:', err);
  process.exit(1);
});
