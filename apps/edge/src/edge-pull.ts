/**
 * Binds the shape puller (sync/src/edge/puller.ts) to this node's SQLite applier
 * (store-sqlite/src/sync/pull-apply.ts), and parks central's rows carried by push
 * answers so a rejected or merged change converges to central's state (sync/SPEC.md
 * section 4).
 */
import type { HybridClock } from '@clinic/domain';
import {
  applyShapeBatch,
  deferRow,
  readShapePosition,
  releaseDeferred,
  retryDeferredParents,
  type SqliteStore,
} from '@clinic/store-sqlite';
import {
  CentralUnreachable,
  NodeRevoked,
  PullError,
  pullOnce,
  type Enrollment,
  type PulledRow,
  type PushResult,
} from '@clinic/sync';

export function createEdgePull(store: SqliteStore, enrollment: Enrollment, hlc: HybridClock) {
  return {
    async pullAll(signal: AbortSignal): Promise<void> {
      try {
        const report = await pullOnce({
          centralUrl: enrollment.centralUrl,
          token: enrollment.token,
          signal,
          store: {
            readPosition: (table) => readShapePosition(store, table),
            applyBatch: (table, messages, position) =>
              applyShapeBatch(store, table, messages, position),
            retryDeferredParents: () => retryDeferredParents(store),
          },
        });
        hlc.observe(report.maxHlc);
      } catch (error) {
        if (error instanceof PullError) {
          if (error.kind === 'unauthorized') throw new NodeRevoked(error.message);
          if (['unreachable', 'timeout', 'aborted', 'server'].includes(error.kind)) {
            throw new CentralUnreachable(`pull failed: ${error.message}`);
          }
        }
        throw error;
      }
    },

    /** Parks each answer's row (newest version wins), then applies what is now unblocked. */
    async onAnswers(results: readonly PushResult[]): Promise<void> {
      const touched = new Set<string>();
      for (const r of results) {
        if (!r.row || typeof r.row.id !== 'string') continue;
        const table = 'patient_id' in r.row ? 'patients' : 'appointments';
        await deferRow(store, table, r.row as unknown as PulledRow, 'pending');
        touched.add(r.row.id);
      }
      if (touched.size > 0) await releaseDeferred(store, [...touched]);
    },
  };
}
