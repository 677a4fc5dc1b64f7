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
  /** Whether central answered in the last cycle (a push or a pull got through). */
  online: boolean;
  central_url: string | null;
  node_id: string;
  pending_mutations: number;
  last_push_at: number | null;
  last_pull_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  /** Why the last push failed (central answered with an error, or was not reached); null when it worked. */
  push_error: string | null;
  /** Why the last pull failed (or why it was not tried); null when it worked. */
  pull_error: string | null;
  rejected: RejectedMutation[];
  open_conflicts: number;
}
