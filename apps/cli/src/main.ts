/**
 * The `clinic` command: parses configuration once, starts central, a clinic node, or
 * the demo (both), and shuts them down cleanly on SIGINT/SIGTERM.
 */
import { createLogger } from '@clinic/api';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, HELP, parseCommand, type DemoConfig } from './config';
import { DEMO_ADMIN, DEMO_PASSWORD, DEMO_STAFF, seedDemoData } from './demo-data';

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

// Each command loads only what it runs: a clinic node never loads PGlite or pg (~46 MB).
const loadCentral = () => import('@clinic/central');
const loadEdge = () => import('@clinic/edge');

async function runDemo(config: DemoConfig, running: Stoppable[]): Promise<void> {
  const [{ startCentral }, { startEdge }] = await Promise.all([loadCentral(), loadEdge()]);
  const logger = createLogger({ level: config.logLevel });
  const data = resolve(config.data);
  console.log(`Starting the demo (data in ${data}; the first start takes a few seconds)…`);
  const central = await startCentral({
    port: config.port,
    host: config.host,
    dataDir: join(data, 'central'),
    logger: logger.child({ node: 'central' }),
    version: VERSION,
    admin: DEMO_ADMIN,
  });
  running.push(central);
  const edge = await startEdge({
    port: config.port === 0 ? 0 : config.port + 1,
    host: config.host,
    dataDir: join(data, 'clinic'),
    logger: logger.child({ node: 'clinic' }),
    version: VERSION,
    admin: DEMO_ADMIN,
  });
  running.push(edge);
  const seededCentral = await seedDemoData(central.runtime);
  const seededEdge = await seedDemoData(edge.runtime);
  console.log(`
  Central      ${central.server.url}   (API docs: ${central.server.url}/api/v1/docs)
  Clinic node  ${edge.server.url}   (API docs: ${edge.server.url}/api/v1/docs)
  ${seededCentral || seededEdge ? 'Demo data created.' : 'Demo data already present.'}

  Logins (POST /api/v1/auth/token/ with {"username", "password"}):
    admin        ${DEMO_ADMIN.username} / ${DEMO_ADMIN.password}
    providers    ${DEMO_STAFF.map((s) => s.username).join(', ')} / ${DEMO_PASSWORD}

  Try:
    curl -s -X POST ${edge.server.url}/api/v1/auth/token/ -H 'Content-Type: application/json' \\
      -d '{"username":"dr.amina","password":"${DEMO_PASSWORD}"}'

  Note: sync between the clinic node and central is not in this version yet; each
  has its own copy of the demo data. Press Ctrl+C to stop.
`);
}

async function main(): Promise<void> {
  const parsed = parseCommand(process.argv.slice(2), process.env);
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
      const central = await startCentral({
        port: c.port,
        host: c.host,
        dataDir: resolve(c.data),
        ...(c.databaseUrl && { databaseUrl: c.databaseUrl }),
        logger,
        version: VERSION,
        ...(c.adminUser &&
          c.adminPassword && { admin: { username: c.adminUser, password: c.adminPassword } }),
      });
      console.log(
        `central listening on ${central.server.url} (database: ${central.runtime.store.kind})`,
      );
      onShutdown([central]);
      return;
    }
    case 'edge': {
      const c = parsed.config;
      const logger = createLogger({ level: c.logLevel });
      if (c.central || c.token) {
        console.warn(
          'warning: --central/--token are accepted, but sync with central is not in this version yet; running standalone.',
        );
      }
      const { startEdge } = await loadEdge();
      const edge = await startEdge({
        port: c.port,
        host: c.host,
        dataDir: resolve(c.data),
        logger,
        version: VERSION,
        ...(c.adminUser &&
          c.adminPassword && { admin: { username: c.adminUser, password: c.adminPassword } }),
      });
      running.push(edge);
      console.log(`clinic node listening on ${edge.server.url} (node ${edge.runtime.nodeId})`);
      return;
    }
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
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
