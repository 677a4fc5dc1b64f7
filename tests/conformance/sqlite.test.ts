/** Runs the storage conformance suite on the SQLite adapter, on a real file in a temp dir. */
import { join } from 'node:path';
import { openSqliteStore } from '@clinic/store-sqlite';
import { makeTempDir } from '../support/tmp-dir';
import { storeConformanceSuite } from './store-suite';

storeConformanceSuite('sqlite (file)', async () => {
  const dir = await makeTempDir('clinic-sqlite');
  const store = openSqliteStore({ file: join(dir.path, 'clinic.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dir.cleanup();
    },
  };
});
