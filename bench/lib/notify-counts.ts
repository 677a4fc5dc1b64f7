/**
 * What a clinic node's queue holds, read from its SQLite file once its process has stopped
 * (read-only, plain SQL): emails by event and status. The benchmark checks the mail
 * server's count against it.
 */
import Database from 'better-sqlite3';

/** Emails by `<event> <status>`, e.g. `{'created sent': 1164, 'reminder pending': 464}`. */
export type EmailCounts = Record<string, number>;

/**
 * Emails owned by `owner` (a node id, or `central` for the ones the node relays), counted
 * by event and status; with `reason`, only those of appointments with that reason.
 */
export function ownEmailCounts(file: string, owner: string, reason?: string): EmailCounts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT n.event AS event, n.status AS status, count(*) AS n FROM notifications n
           JOIN appointments a ON a.id = n.appointment_id
          WHERE n.owner = ? AND n.channel = 'email' AND (? IS NULL OR a.reason = ?)
          GROUP BY n.event, n.status ORDER BY n.event, n.status`,
      )
      .all(owner, reason ?? null, reason ?? null) as { event: string; status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [`${r.event} ${r.status}`, r.n]));
  } finally {
    db.close();
  }
}

/** How many have `status` (any event). */
export function countStatus(counts: EmailCounts, status: string): number {
  let n = 0;
  for (const [key, value] of Object.entries(counts)) if (key.endsWith(` ${status}`)) n += value;
  return n;
}

/** `created sent 1164, reminder pending 464`. */
export function formatCounts(counts: EmailCounts): string {
  const parts = Object.entries(counts).map(([key, n]) => `${key} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}
