/**
 * Starts one node around a store its app opened: runtime, first admin, HTTP server.
 * If anything fails on the way, the store is closed before the error is rethrown.
 */
import type { Logger } from '@clinic/api';
import type { Store } from '@clinic/core';
import { ensureAdmin } from './bootstrap-admin';
import { listen, type RunningServer } from './http-server';
import { createNodeRuntime, type NodeRuntime, type NodeRuntimeOptions } from './node-runtime';

/** What an app adds to a node once its runtime exists (sync routes, the sync engine). */
export interface NodeAttachment {
  /** Runs first when the node stops (before the HTTP server closes). */
  stop?(): Promise<void>;
}

export interface StartNodeOptions extends Pick<
  NodeRuntimeOptions,
  'hooks' | 'ports' | 'trustedKeys' | 'clock' | 'notify' | 'throttle' | 'trustedProxies'
> {
  role: 'edge' | 'central';
  store: Store;
  dataDir: string;
  port: number;
  host: string;
  logger: Logger;
  version: string;
  /** Created on first start; later starts change nothing. */
  admin?: { username: string; password: string };
  /** Called with the runtime before the server listens. */
  attach?: (runtime: NodeRuntime) => Promise<NodeAttachment | void>;
}

export interface RunningNode {
  runtime: NodeRuntime;
  server: RunningServer;
  /** Stops accepting requests, lets open ones finish, then closes the store. */
  stop(): Promise<void>;
}

export async function startNode(opts: StartNodeOptions): Promise<RunningNode> {
  const { store } = opts;
  try {
    const runtime = await createNodeRuntime(opts);
    if (opts.admin) await ensureAdmin(runtime.directory, opts.admin.username, opts.admin.password);
    const attached = (await opts.attach?.(runtime)) ?? {};
    let server: RunningServer;
    try {
      server = await listen(runtime.app, {
        port: opts.port,
        host: opts.host,
        // A trusted proxy carries every client's connections: no per-address cap for it.
        ...(opts.trustedProxies && { limits: { exemptAddresses: opts.trustedProxies } }),
      });
    } catch (err) {
      await attached.stop?.();
      throw err;
    }
    await runtime.dispatcher.start();
    return {
      runtime,
      server,
      async stop() {
        await runtime.dispatcher.stop();
        await attached.stop?.();
        await server.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
