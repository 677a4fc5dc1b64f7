/**
 * The storage conformance suite on PGlite (embedded PostgreSQL). Creating a PGlite
 * cluster costs ~2.2 s and ~0.5 GB, so the file migrates ONE template and every store
 * the suite asks for is a fresh in-memory copy of it (~0.4 s), closed in cleanup.
 */
import { createPgliteTemplate, type PgliteTemplate } from '@clinic/store-postgres';
import { storeConformanceSuite } from './store-suite';

let template: Promise<PgliteTemplate> | undefined;

storeConformanceSuite('pglite', async () => {
  template ??= createPgliteTemplate();
  const store = await (await template).open();
  return { store, cleanup: () => store.close() };
});
