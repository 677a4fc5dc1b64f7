import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PUSH_BYTES, batchBySize } from './engine';

describe('batchBySize', () => {
  it('keeps a seq-ordered prefix within MAX_PUSH_BYTES, and always at least one mutation', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 300_000 }), { maxLength: 200 }), (sizes) => {
        const rows = sizes.map((n, seq) => ({ seq, args: 'x'.repeat(n) }));
        const batch = batchBySize(rows);
        expect(batch).toEqual(rows.slice(0, batch.length));
        if (rows.length > 0) expect(batch.length).toBeGreaterThan(0);
        const bytes = batch.reduce((sum, r) => sum + r.args.length, 0);
        if (batch.length > 1) expect(bytes).toBeLessThanOrEqual(MAX_PUSH_BYTES);
        // Nothing more would have fit.
        if (batch.length < rows.length) {
          expect(bytes + rows[batch.length]!.args.length).toBeGreaterThan(MAX_PUSH_BYTES);
        }
      }),
    );
  });
});
