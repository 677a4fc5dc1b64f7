/**
 * The storage conformance suite on a real PostgreSQL server (TEST_DATABASE_URL). Every
 * store the suite asks for gets its own fresh database, dropped in cleanup. Without
 * TEST_DATABASE_URL the suite is skipped with a loud warning, or fails when CI is set
 * (see tests/support/postgres.ts).
 */
import { describe, it } from 'vitest';
import { openTestPostgresStore, testDatabaseUrl } from '../support/postgres';
import { storeConformanceSuite } from './store-suite';

const adminUrl = testDatabaseUrl('conformance');

if (adminUrl === undefined) {
  describe.skip('Store conformance: postgres', () => {
    it('needs TEST_DATABASE_URL (see the warning above)', () => undefined);
  });
} else {
  storeConformanceSuite('postgres', async () => {
    const { store, dispose } = await openTestPostgresStore(adminUrl);
    return { store, cleanup: dispose };
  });
}
