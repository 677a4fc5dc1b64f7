/**
 * Records of sync that several layers show or store: an enrolled node as central keeps it,
 * and a node's sync status. The sync engine produces them, the API serializes them, the
 * store adapters persist them; defined once here (sync/SPEC.md).
 */

/** An enrolled clinic node, as central keeps it (without its token hash). */
export interface NodeRecord {
  id: string;
  name: string;
  facilities: string[];
  created_at: number;
  revoked_at: number | null;
  /** The node's last sequence number central has answered. */
  last_seq: number;
  last_push_at: number | null;
  last_pull_at: number | null;
  /** Mutations the node reported still to push, at its last push. */
  backlog: number | null;
  protocol_version: number | null;
  last_error: string | null;
}

/** A mutation central rejected, as the node shows it. */
export interface RejectedMutation {
  seq: number;
  kind: string;
  entity_id: string;
  code: string | null;
  message: string | null;
  at: number | null;
}

/** What a clinic node reports about its sync with central (GET /api/v1/sync/status/). */
export interface SyncStatus {
  /** Whether the last cycle reached central and finished. */
  online: boolean;
  central_url: string | null;
  node_id: string;
  pending_mutations: number;
  last_push_at: number | null;
  last_pull_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  rejected: RejectedMutation[];
  open_conflicts: number;
}
