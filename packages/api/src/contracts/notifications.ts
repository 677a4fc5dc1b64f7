/** Contracts of the notification queue (admins: the dead letter and its retry action). */
import {
  NOTIFICATION_CHANNELS,
  NOTIFICATION_EVENTS,
  NOTIFICATION_RECIPIENTS,
  NOTIFICATION_STATUSES,
} from '@clinic/domain';
import { z } from 'zod';
import { pageQuery, uuid } from './common';

const isoOrNull = z.string().nullable().meta({ format: 'date-time' });

export const notificationListQuery = pageQuery.extend({
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  appointment: uuid.optional(),
});

export const notificationOut = z
  .object({
    id: uuid,
    appointment: uuid,
    event: z.enum(NOTIFICATION_EVENTS),
    recipient: z.enum(NOTIFICATION_RECIPIENTS),
    method: z.enum(NOTIFICATION_CHANNELS),
    address: z.string().meta({ description: 'Masked: the full address stays on the server' }),
    status: z.enum(NOTIFICATION_STATUSES),
    attempts: z.number().int(),
    delivered_by: z.string().meta({ description: '"central" or the clinic node id' }),
    created_at: z.string().meta({ format: 'date-time' }),
    next_attempt_at: z.string().meta({ format: 'date-time' }),
    sent_at: isoOrNull,
    last_error: z.string().nullable(),
    conflict: uuid.nullable(),
  })
  .meta({ id: 'Notification' });
