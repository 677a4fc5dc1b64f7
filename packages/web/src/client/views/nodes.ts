/**
 * Every enrolled clinic node as central sees it: its facilities, when it last pushed and
 * pulled, what it said it still had to push, its protocol version and last error. A node
 * silent for over an hour (or never heard from), or with an error, is highlighted.
 */
import { describeError, getAll } from '../api';
import { h, notice } from '../dom';
import type { ViewContext } from '../routes';
import { facilityById } from '../state';
import { ago, LOCAL_ZONE, timeIn } from '../time';
import type { NodeInfo } from '../types';

const SILENT_MS = 60 * 60 * 1000;

/** Why a node needs a look, or undefined when it is fine. */
function trouble(n: NodeInfo, now: number): string | undefined {
  // A revoked node is expected to be silent: its token no longer works.
  if (n.revoked_at) return undefined;
  if (n.last_error) return 'Has an error';
  if (!n.last_push_at) return 'Never pushed';
  if (now - Date.parse(n.last_push_at) > SILENT_MS) return 'Silent for over an hour';
  return undefined;
}

function when(iso: string | null, now: number): Node {
  if (!iso) return document.createTextNode('never');
  return h('time', { datetime: iso }, `${timeIn(Date.parse(iso), LOCAL_ZONE)} (${ago(iso, now)})`);
}

function facilityNames(ids: string[]): string {
  if (ids.length === 0) return '—';
  return ids
    .map((id) => facilityById(id)?.name ?? `Unknown facility (${id.slice(0, 8)}…)`)
    .join(', ');
}

function table(nodes: NodeInfo[], now: number): HTMLElement {
  if (nodes.length === 0) {
    return h('p', { class: 'empty' }, 'No clinic node is enrolled yet.');
  }
  const cell = (label: string, ...content: (Node | string)[]) =>
    h('td', { 'data-label': label }, ...content);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'list nodes' },
      h('caption', { class: 'sr-only' }, 'Enrolled clinic nodes'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'Name',
            'Facilities',
            'Last push',
            'Last pull',
            'Backlog',
            'Protocol',
            'Last error',
            'State',
          ].map((title) => h('th', { scope: 'col' }, title)),
        ),
      ),
      h(
        'tbody',
        {},
        nodes.map((n) => {
          const why = trouble(n, now);
          return h(
            'tr',
            { class: why ? 'warn' : null, 'data-node': n.id },
            cell('Name', h('strong', {}, n.name)),
            cell('Facilities', facilityNames(n.facilities)),
            cell('Last push', when(n.last_push_at, now)),
            cell('Last pull', when(n.last_pull_at, now)),
            cell('Backlog', n.backlog === null ? '—' : String(n.backlog)),
            cell('Protocol', n.protocol_version === null ? '—' : String(n.protocol_version)),
            cell('Last error', n.last_error ?? '—'),
            cell('State', n.revoked_at ? 'Revoked' : 'Active'),
          );
        }),
      ),
    ),
  );
}

export async function nodesView(_ctx: ViewContext): Promise<Node> {
  const messages = h('div', { class: 'messages' });
  const summary = h('p', { class: 'hint', role: 'status' });
  const attention = h('ul', { class: 'attention' });
  const content = h('div', {});
  const refresh = h('button', { type: 'button' }, 'Refresh');

  const fill = async () => {
    const nodes = await getAll<NodeInfo>('/nodes/');
    const now = Date.now();
    nodes.sort((a, b) => a.name.localeCompare(b.name));
    const flagged = nodes.flatMap((n) => {
      const why = trouble(n, now);
      return why ? [{ n, why }] : [];
    });
    summary.textContent =
      `${nodes.length} node${nodes.length === 1 ? '' : 's'}` +
      (flagged.length ? `, ${flagged.length} highlighted below` : '') +
      `. Times in this computer’s clock (${LOCAL_ZONE}); read at ${timeIn(now, LOCAL_ZONE)}.`;
    attention.replaceChildren(
      ...flagged.map(({ n, why }) => h('li', { class: 'warn' }, `${n.name}: ${why.toLowerCase()}`)),
    );
    attention.hidden = flagged.length === 0;
    content.replaceChildren(table(nodes, now));
  };

  // Not `disabled` while busy: a disabled button loses the keyboard focus.
  let busy = false;
  refresh.addEventListener('click', () => {
    if (busy) return;
    busy = true;
    void (async () => {
      refresh.setAttribute('aria-disabled', 'true');
      content.setAttribute('aria-busy', 'true');
      try {
        await fill();
        messages.replaceChildren();
      } catch (err) {
        messages.replaceChildren(notice('alert', ...describeError(err)));
      } finally {
        busy = false;
        refresh.removeAttribute('aria-disabled');
        content.removeAttribute('aria-busy');
      }
    })();
  });

  await fill();
  return h(
    'section',
    { class: 'nodes' },
    h('h1', {}, 'Nodes'),
    messages,
    summary,
    attention,
    h('div', { class: 'actions' }, refresh),
    content,
  );
}
