/**
 * A migrated PGlite image to open many stores from quickly (tests, demos). Creating a
 * PGlite cluster takes about 2.2 s; loading a dumped data directory about 0.4 s. The
 * template instance is closed once dumped, so only the image (a few MB) stays in memory.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Store } from '@clinic/core';
import { migrate } from './migrate';
import { openPgliteStore } from './open';
import { pgliteDatabase } from './pglite-database';

export interface PgliteTemplate {
  /** A new in-memory store holding a copy of the migrated, empty database. */
  open(): Promise<Store>;
}

export async function createPgliteTemplate(): Promise<PgliteTemplate> {
  const pglite = await PGlite.create();
  const db = pgliteDatabase(pglite);
  let image: Blob | File;
  try {
    await migrate(db);
    image = await pglite.dumpDataDir('none');
  } finally {
    await db.close();
  }
  return { open: () => openPgliteStore({ loadDataDir: image }) };
}
