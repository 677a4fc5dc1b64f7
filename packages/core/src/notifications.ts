/**
 * The notification queue as admins see it: list (the dead letter is `status=failed`),
 * one notification, and the retry action. Delivery itself is packages/notify.
 */
import { notFound, validationError, type Notification } from '@clinic/domain';
import type { CoreDeps } from './context';
import { CENTRAL_NOTIFY } from './notification-queue';
import type { NotificationQuery, Page } from './store';

export function createNotificationService(deps: CoreDeps) {
  const { store, clock, hooks } = deps;
  const settings = deps.notify ?? CENTRAL_NOTIFY;

  return {
    list(query: NotificationQuery): Promise<Page<Notification>> {
      return store.listNotifications(query);
    },

    async get(id: string): Promise<Notification> {
      return (await store.getNotification(id)) ?? Promise.reject(notFound());
    },

    /**
     * Sends a dead-lettered notification again: back to `pending`, due now, with a fresh
     * count of attempts. Only where it is delivered (a relayed one is retried on central),
     * so a retry can never make two senders.
     */
    async retry(id: string): Promise<Notification> {
      return store.write(async (tx) => {
        await tx.lock([`notification:${id}`]);
        const row = await tx.getNotification(id);
        if (!row) throw notFound();
        if (row.status !== 'failed') {
          throw validationError({
            status: [`Only failed notifications can be retried; this one is ${row.status}.`],
          });
        }
        if (row.owner !== settings.self) {
          throw validationError({
            owner: [
              row.owner === 'central'
                ? 'Central delivers this notification: retry it there.'
                : 'The clinic node that queued this notification delivers it: retry it there.',
            ],
          });
        }
        const now = clock.now();
        const next: Notification = {
          ...row,
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          last_error: null,
          updated_at: now,
        };
        await tx.updateNotification(next);
        await hooks?.notificationsWritten?.(tx, [next]);
        return next;
      });
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
