/** @clinic/cli: the `clinic` command (see main.ts). */
export { parseCommand, HELP, ConfigError } from './config';
export { seedDemoData, DEMO_ADMIN, DEMO_PASSWORD } from './demo-data';
