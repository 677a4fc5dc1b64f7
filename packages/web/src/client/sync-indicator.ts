/**
 * The clinic node's sync indicator, always in the header: online or offline, changes
 * waiting to go to central, the last successful sync, changes central rejected, and open
 * late conflicts (a link to the conflicts screen). Polls `GET /sync/status/` every 3 s;
 * "Sync now" forces a cycle (`POST /sync/run/`, 503 while central is unreachable).
 */
import { ApiError, describeError, get, NetworkError, post } from './api';
import { h, mount } from './dom';
import { ago, LOCAL_ZONE, timeIn } from './time';
import type { SyncStatus } from './types';

const POLL_MS = 3_000;

export interface SyncIndicator {
  el: HTMLElement;
  stop(): void;
  /** Polls now (after a local write, so "pending" moves at once). */
  refresh(): void;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `onSynced` runs after each successful sync seen (e.g. to pick up the first facilities). */
export function syncIndicator(onSynced: (status: SyncStatus) => void = () => {}): SyncIndicator {
  const body = h('span', { class: 'sync-body' }, 'Checking sync…');
  const status = h(
    'div',
    { role: 'status', 'aria-label': 'Sync status', class: 'sync', 'data-state': 'unknown' },
    body,
  );
  const message = h('span', { class: 'sync-message', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'link-button' }, 'Sync now');
  const el = h('div', { class: 'sync-wrap' }, status, button, message);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const render = (s: SyncStatus) => {
    status.dataset.state = s.online ? 'online' : 'offline';
    const last = s.last_success_at;
    const lastText = last ? `${timeIn(Date.parse(last), LOCAL_ZONE)} (${ago(last)})` : 'never';
    const rejected = s.rejected.length;
    mount(
      body,
      h('strong', { class: 'dot' }, s.online ? 'Online' : 'Offline'),
      h('span', { class: s.pending_mutations ? 'warn' : '' }, `${s.pending_mutations} pending`),
      // Central answers, but one direction fails: say which, so nobody waits for it.
      s.online && s.push_error ? h('span', { class: 'warn' }, 'Sending changes fails') : null,
      s.online && s.pull_error ? h('span', { class: 'warn' }, 'Receiving changes fails') : null,
      h('span', {}, `Last sync ${lastText}`),
      h('span', { class: rejected ? 'warn' : '' }, `${rejected} rejected`),
      h(
        'a',
        { href: '#/conflicts', class: s.open_conflicts ? 'warn' : '' },
        plural(s.open_conflicts, 'open conflict'),
      ),
    );
    status.title = !s.online
      ? `Offline: ${s.last_error ?? 'central not reached yet'}`
      : s.push_error || s.pull_error
        ? `Connected to central, but: ${[s.push_error, s.pull_error].filter(Boolean).join('; ')}`
        : 'Connected to central';
  };

  const poll = async () => {
    clearTimeout(timer);
    try {
      const s = await get<SyncStatus>('/sync/status/');
      render(s);
      if (s.last_success_at) onSynced(s);
    } catch (err) {
      status.dataset.state = 'offline';
      mount(
        body,
        h('strong', { class: 'dot' }, 'Offline'),
        h(
          'span',
          {},
          err instanceof NetworkError ? 'This node is not answering' : describeError(err).join(' '),
        ),
      );
    }
    if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
  };

  button.addEventListener('click', async () => {
    button.disabled = true;
    message.textContent = 'Syncing…';
    try {
      await post('/sync/run/');
      message.textContent = 'Synced';
    } catch (err) {
      message.textContent =
        err instanceof ApiError && err.status === 503
          ? 'Central is not reachable; changes stay queued here.'
          : describeError(err).join(' ');
    } finally {
      button.disabled = false;
      await poll();
    }
  });

  void poll();
  return {
    el,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    refresh: () => void poll(),
  };
}
