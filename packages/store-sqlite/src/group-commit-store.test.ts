import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFacility } from '../../../tests/conformance/fixtures';
import { makeTempDir, type TempDir } from '../../../tests/support/tmp-dir';
import { openSqliteStore } from './open';

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir('clinic-group');
});
afterEach(() => dir.cleanup());
const store = () => openSqliteStore({ file: join(dir.path, 'clinic.db') });

describe('SqliteStore group commit', () => {
  it('concurrent writes keep their own outcome: failures leave nothing, the rest commit', async () => {
    const s = store();
    const rows = Array.from({ length: 40 }, () => makeFacility());
    const results = await Promise.allSettled(
      rows.map((row, i) =>
        s.write(async (tx) => {
          await tx.insertFacility(row);
          if (i % 3 === 0) throw new Error(`refused ${i}`);
          return i;
        }),
      ),
    );
    results.forEach((r, i) => expect(r.status).toBe(i % 3 === 0 ? 'rejected' : 'fulfilled'));
    const stored = await s.listFacilities({ limit: 100, offset: 0 });
    expect(stored.count).toBe(40 - 14);
    expect(stored.rows.map((f) => f.id).sort()).toEqual(
      rows
        .filter((_, i) => i % 3 !== 0)
        .map((f) => f.id)
        .sort(),
    );
    await s.close();
  });

  it('a write sees the writes queued before it, as serial transactions would', async () => {
    const s = store();
    const row = makeFacility();
    const [, seen] = await Promise.all([
      s.write((tx) => tx.insertFacility(row)),
      s.write(async (tx) => (await tx.getFacility(row.id))?.id),
    ]);
    expect(seen).toBe(row.id);
    await s.close();
  });

  it('settles writes queued behind close() instead of leaving them hanging', async () => {
    const s = store();
    const first = s.write((tx) => tx.insertFacility(makeFacility()));
    const closing = s.close();
    await expect(s.write((tx) => tx.insertFacility(makeFacility()))).rejects.toThrow(/closed/);
    await first;
    await closing;
  });
});
