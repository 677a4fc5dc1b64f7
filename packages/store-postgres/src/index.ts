/**
 * @clinic/store-postgres: the storage port on PostgreSQL, either embedded (PGlite) or a
 * server (node-postgres pool). One implementation, the same SQL for both.
 */
export {
  openPgliteStore,
  openPostgresStore,
  type PgliteStoreOptions,
  type PostgresStoreOptions,
} from './open';
export { createPgliteTemplate, type PgliteTemplate } from './template';
export { loadMigrations, type Migration } from './migrate';
export type { PgStore } from './store';
export type { Database, Executor, Row } from './executor';
export { createCentralSyncStore } from './sync/central-sync-store';
export { createShapeSource } from './sync/shape-source';
export { createLoginThrottleStore } from './login-throttle';
