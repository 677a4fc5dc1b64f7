/** Contracts of conflicts (both), nodes (central) and sync status (edge). */
import { z } from 'zod';
import { pageQuery, requiredMultilineText, requiredText, uuid } from './common';

const isoOrNull = z.string().nullable().meta({ format: 'date-time' });

export const conflictListQuery = pageQuery.extend({
  status: z.enum(['open', 'resolved']).optional(),
});

export const conflictOut = z
  .object({
    id: uuid,
    kind: z.enum(['provider', 'patient', 'facility', 'edit']),
    appointments: z.array(uuid).meta({ description: 'Two ids for an overlap, one for an edit' }),
    status: z.enum(['open', 'resolved']),
    detected_at: z.string().meta({ format: 'date-time' }),
    resolved_at: isoOrNull,
    resolution: z.string().nullable(),
    details: z
      .record(z.string(), z.unknown())
      .meta({ description: 'For an edit: the register, the losing value and its clock' }),
  })
  .meta({ id: 'Conflict' });

export const conflictResolve = z.object({
  resolution: requiredMultilineText(2000).meta({
    description: 'What the admin decided, for the record',
  }),
});

export const nodeCreate = z.object({
  name: requiredText(100),
  facilities: z.array(uuid).min(1).max(100),
});

export const nodeOut = z
  .object({
    id: uuid,
    name: z.string(),
    facilities: z.array(uuid),
    created_at: z.string(),
    revoked_at: isoOrNull,
    last_push_at: isoOrNull,
    last_pull_at: isoOrNull,
    last_applied_seq: z.number().int(),
    backlog: z.number().int().nullable(),
    protocol_version: z.number().int().nullable(),
    last_error: z.string().nullable(),
  })
  .meta({ id: 'Node' });

export const nodeCreated = nodeOut.extend({
  token: z.string().meta({ description: 'Shown once: give it to the node (--token)' }),
});

export const syncStatusOut = z
  .object({
    online: z.boolean(),
    central_url: z.string().nullable(),
    node_id: z.string(),
    pending_mutations: z.number().int(),
    last_push_at: isoOrNull,
    last_pull_at: isoOrNull,
    last_success_at: isoOrNull,
    last_error: z.string().nullable(),
    push_error: z
      .string()
      .nullable()
      .meta({ description: 'Why the last push failed; null when it worked' }),
    pull_error: z
      .string()
      .nullable()
      .meta({ description: 'Why the last pull failed (or was not tried); null when it worked' }),
    rejected: z.array(
      z.object({
        seq: z.number().int(),
        kind: z.string(),
        entity_id: z.string(),
        code: z.string().nullable(),
        message: z.string().nullable(),
        at: isoOrNull,
      }),
    ),
    open_conflicts: z.number().int(),
  })
  .meta({ id: 'SyncStatus' });
