/**
 * Assembles one node (edge or central) around a store that the app opened: its
 * identity, signing keys, token service, login limiter, application services and
 * the HTTP app. Both apps call this; they differ only in the store they pass.
 */
import { createApp, type ApiDeps, type AppEnv, type Logger } from '@clinic/api';
import { webRoutes } from '@clinic/web';
import {
  cacheVerifiedTokens,
  createLoginRateLimiter,
  createTokenService,
  DUMMY_PASSWORD_HASH,
  hashPassword,
  loadOrCreateSigningKey,
  verifyPassword,
  type ThrottleStore,
  type TokenServiceOptions,
} from '@clinic/auth';
import {
  CENTRAL_NOTIFY,
  DEFAULT_REMINDER_LEAD_MS,
  createAppointmentService,
  createConflictService,
  createDirectoryService,
  createNotificationService,
  type ConflictService,
  type NotificationService,
  type NotifySettings,
  type WriteHooks,
  type AppointmentService,
  type DirectoryService,
  type Store,
} from '@clinic/core';
import {
  createHybridClock,
  createUuidV7Generator,
  type Clock,
  type HybridClock,
  type IdGenerator,
} from '@clinic/domain';
import {
  createDispatcher,
  type Dispatcher,
  type EmailTransport,
  type RetryPolicy,
  type SmsTransport,
} from '@clinic/notify';
import type { Hono } from 'hono';
import { resolveClientAddress, trustedProxySet } from './client-address';

export const systemClock: Clock = { now: () => Date.now() };

export interface NodeRuntimeOptions {
  role: 'edge' | 'central';
  store: Store;
  /** Where the node keeps its signing key (and, for the apps, its database). */
  dataDir: string;
  logger: Logger;
  version: string;
  clock?: Clock;
  /** Public keys of another issuer whose access tokens this node accepts (central's). */
  trustedKeys?: TokenServiceOptions['trustedKeys'];
  /** What the node does in the transaction of each write (see WriteHooks). */
  hooks?: (services: { conflicts: ConflictService }) => WriteHooks;
  /** The API's role-specific ports: nodes (central) or sync (edge). */
  ports?: Pick<ApiDeps, 'nodes' | 'sync'>;
  notify?: NotifyOptions;
  /** Where login throttling counters live; default: this process's memory (a clinic node). */
  throttle?: ThrottleStore;
  /**
   * IP addresses of reverse proxies whose `X-Forwarded-For` names the client (for login
   * throttling); without them the header is ignored (client-address.ts).
   */
  trustedProxies?: readonly string[] | undefined;
}

/**
 * How this node delivers notifications. Central delivers everything it owns (log
 * transports when none is configured); a clinic node delivers on the channels it has a
 * transport for and relays the others through central (sync).
 */
export interface NotifyOptions {
  email?: EmailTransport | undefined;
  sms?: SmsTransport | undefined;
  /** The From address, and the domain of every Message-ID. */
  mailFrom: string;
  /** Reminder lead time; default 24 h; 0 turns reminders off. */
  reminderLeadMs?: number | undefined;
  policy?: Partial<RetryPolicy> | undefined;
  /** Dispatcher poll and batch settings (tests, benchmarks). */
  pollMs?: number | undefined;
  batchSize?: number | undefined;
  concurrency?: number | undefined;
}

export const DEFAULT_MAIL_FROM = 'clinic-scheduler@localhost';

export interface NodeRuntime {
  nodeId: string;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  hlc: HybridClock;
  appointments: AppointmentService;
  directory: DirectoryService;
  conflicts: ConflictService;
  notifications: NotificationService;
  /** Delivers the notifications this node owns (started by startNode). */
  dispatcher: Dispatcher;
  notifySettings: NotifySettings;
  tokens: { jwks(): { keys: object[] } };
  app: Hono<AppEnv>;
  deps: ApiDeps;
}

const NODE_ID_KEY = 'node_id';

/** The node's id, made once (UUIDv7) and kept in the store's metadata. */
async function nodeIdentity(store: Store, ids: IdGenerator): Promise<string> {
  const existing = await store.getMeta(NODE_ID_KEY);
  if (existing) return existing;
  const id = ids.next();
  await store.setMeta(NODE_ID_KEY, id);
  return id;
}

export async function createNodeRuntime(opts: NodeRuntimeOptions): Promise<NodeRuntime> {
  const trusted = trustedProxySet(opts.trustedProxies ?? []);
  const clock = opts.clock ?? systemClock;
  const ids = createUuidV7Generator(clock);
  const nodeId = await nodeIdentity(opts.store, ids);
  const signingKey = await loadOrCreateSigningKey(opts.dataDir);
  const tokens = cacheVerifiedTokens(
    createTokenService({
      signingKey,
      clock,
      issuer: `clinic:${opts.role}:${nodeId}`,
      ...(opts.trustedKeys ? { trustedKeys: opts.trustedKeys } : {}),
    }),
    clock,
  );
  const hlc = createHybridClock(clock, nodeId);
  const notify = opts.notify ?? { mailFrom: DEFAULT_MAIL_FROM };
  const reminderLeadMs = notify.reminderLeadMs ?? DEFAULT_REMINDER_LEAD_MS;
  const settings: NotifySettings =
    opts.role === 'central'
      ? { ...CENTRAL_NOTIFY, reminderLeadMs }
      : {
          self: nodeId,
          ownerFor: (channel) => (notify[channel] ? nodeId : CENTRAL_NOTIFY.self),
          reminderLeadMs,
        };
  const base = { store: opts.store, clock, ids, nodeId, hlc, notify: settings };
  // The dispatcher needs the hooks, and the hooks wake the dispatcher.
  const late: { dispatcher?: Dispatcher } = {};
  const wake = () => late.dispatcher?.wake();
  const conflicts = createConflictService({ ...base, hooks: wakeOn(undefined, settings, wake) });
  const hooks = wakeOn(opts.hooks?.({ conflicts }), settings, wake);
  const core = { ...base, hooks };
  const appointments = createAppointmentService(core);
  const directory = createDirectoryService(core);
  const notifications = createNotificationService(core);
  const dispatcher = createDispatcher({
    store: opts.store,
    clock,
    settings,
    transports: { email: notify.email, sms: notify.sms },
    mailFrom: notify.mailFrom,
    hooks,
    ...(notify.policy && { policy: notify.policy }),
    ...(notify.pollMs !== undefined && { pollMs: notify.pollMs }),
    ...(notify.batchSize !== undefined && { batchSize: notify.batchSize }),
    ...(notify.concurrency !== undefined && { concurrency: notify.concurrency }),
    log: (line) => opts.logger.info(line),
  });
  late.dispatcher = dispatcher;
  const deps: ApiDeps = {
    ...opts.ports,
    appointments,
    conflicts,
    notifications,
    directory,
    store: opts.store,
    // The API answers refresh with {access} only: the claims stay on the server.
    tokens: {
      ...tokens,
      refresh: async (token) => ({ access: (await tokens.refresh(token)).access }),
    },
    passwords: { hash: hashPassword, verify: verifyPassword, dummyHash: DUMMY_PASSWORD_HASH },
    loginLimiter: createLoginRateLimiter({
      clock,
      ...(opts.throttle && { store: opts.throttle }),
    }),
    clock,
    logger: opts.logger,
    node: { role: opts.role, id: nodeId, version: opts.version },
    clientAddress: (c) => {
      const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
        ?.incoming;
      const peer = incoming?.socket?.remoteAddress;
      const forwardedFor = trusted.size > 0 ? c.req.header('x-forwarded-for') : undefined;
      return resolveClientAddress(peer, forwardedFor, trusted) ?? 'unknown';
    },
  };
  const { app } = createApp(deps);
  app.route('/', webRoutes({ role: opts.role }));
  return {
    nodeId,
    store: opts.store,
    clock,
    ids,
    hlc,
    appointments,
    directory,
    conflicts,
    notifications,
    dispatcher,
    notifySettings: settings,
    tokens,
    app,
    deps,
  };
}

/** The node's hooks, plus: a notification this node delivers was queued -> wake the dispatcher. */
function wakeOn(
  inner: WriteHooks | undefined,
  settings: NotifySettings,
  wake: () => void,
): WriteHooks {
  return {
    ...inner,
    async notificationsWritten(tx, rows) {
      await inner?.notificationsWritten?.(tx, rows);
      if (rows.some((r) => r.owner === settings.self && r.status === 'pending')) wake();
    },
  };
}
