/**
 * @clinic/store-sqlite: the storage port (packages/core/src/store.ts) on SQLite, for
 * clinic (edge) nodes. See store.ts for how transactions and reads are arranged.
 */
export { openSqliteStore, type SqliteStoreOptions } from './open';
export type { SqliteStore } from './store';
export type { ConnectionPragmas } from './connection';
export { createOutboxStore } from './sync/outbox-store';
export {
  applyShapeBatch,
  deferRow,
  readShapePosition,
  releaseDeferred,
  retryDeferredParents,
} from './sync/pull-apply';
