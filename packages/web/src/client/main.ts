/**
 * The web UI of a clinic node and of central: one page, hash routes, everything through
 * this node's own API with the HttpOnly session cookie. Nothing loads from elsewhere.
 */
import {
  ApiError,
  del,
  describeError,
  get,
  NetworkError,
  setSession,
  whenLoggedOut,
  type Session,
} from './api';
import { h, mount, notice } from './dom';
import { clearState, current, loadState, personName } from './state';
import { syncIndicator, type SyncIndicator } from './sync-indicator';
import { loginView } from './views/login';
import { routes, type Route } from './routes';

const root = document.getElementById('app')!;
const nodeRole = (document.body.dataset.role === 'central' ? 'central' : 'edge') as
  'edge' | 'central';
let indicator: SyncIndicator | undefined;
let main: HTMLElement | undefined;

interface NavItem {
  hash: string;
  label: string;
}

function navItems(): NavItem[] {
  return nodeRole === 'central'
    ? [
        { hash: '#/conflicts', label: 'Conflicts' },
        { hash: '#/nodes', label: 'Nodes' },
        { hash: '#/search', label: 'Search' },
        { hash: '#/schedule', label: 'Schedule' },
        { hash: '#/upcoming', label: 'Upcoming' },
      ]
    : [
        { hash: '#/schedule', label: 'Schedule' },
        { hash: '#/book', label: 'Book' },
        { hash: '#/upcoming', label: 'Upcoming' },
        { hash: '#/conflicts', label: 'Conflicts' },
      ];
}

function showLogin(message?: string): void {
  indicator?.stop();
  indicator = undefined;
  main = undefined;
  clearState();
  setSession(null);
  document.title = titleFor('Sign in');
  mount(
    root,
    loginView(nodeRole, message, (session) => void start(session)),
  );
}

function titleFor(screen: string): string {
  return `${screen} · ${nodeRole === 'central' ? 'Central' : 'Clinic'} scheduling`;
}

async function logout(): Promise<void> {
  try {
    await del('/auth/session/');
  } catch (err) {
    // The cookies may still be valid: say so rather than pretend.
    const box = document.querySelector('main');
    box?.prepend(notice('alert', 'Logging out failed:', ...describeError(err)));
    return;
  }
  location.hash = '';
  showLogin('You are logged out.');
}

async function start(session: Session): Promise<void> {
  setSession(session);
  if (session.user.role === 'patient') {
    showLogin('Patient accounts cannot use the clinic screens.');
    return;
  }
  try {
    await loadState(session);
  } catch (err) {
    showLogin(describeError(err).join(' '));
    return;
  }
  const user = current().session.user;
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    h(
      'ul',
      {},
      navItems().map((item) => h('li', {}, h('a', { href: item.hash }, item.label))),
    ),
  );
  // A node fresh from enrollment has no facilities until its first sync: load them then.
  let reloading = false;
  const pickUpDirectory = () => {
    if (reloading || current().facilities.length > 0) return;
    reloading = true;
    void loadState(current().session)
      .then((s) => {
        if (s.facilities.length > 0) void route();
      })
      .catch(() => undefined)
      .finally(() => {
        reloading = false;
      });
  };
  indicator = nodeRole === 'edge' ? syncIndicator(pickUpDirectory) : undefined;
  main = h('main', { id: 'main', tabindex: -1 });
  const header = h(
    'header',
    { class: 'top' },
    h('a', { class: 'skip', href: '#main', onclick: skipToMain }, 'Skip to content'),
    h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo', 'aria-hidden': 'true' }, '✚'),
      h('span', {}, nodeRole === 'central' ? 'Central · regional admin' : 'Clinic node'),
    ),
    nav,
    indicator?.el,
    h(
      'div',
      { class: 'who' },
      h('span', {}, `${personName(user) || user.username} (${user.role})`),
      h(
        'button',
        { type: 'button', class: 'link-button', onclick: () => void logout() },
        'Log out',
      ),
    ),
  );
  mount(root, header, main);
  if (!location.hash || location.hash === '#/' || location.hash === '#main') {
    location.hash = navItems()[0]!.hash;
  } else {
    void route();
  }
}

function skipToMain(event: Event): void {
  event.preventDefault();
  main?.focus();
}

function matchRoute(hash: string): { route: Route; params: string[] } | undefined {
  const path = hash.replace(/^#/, '') || '/';
  for (const route of routes(nodeRole)) {
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1) };
  }
  return undefined;
}

let renderCount = 0;
async function route(): Promise<void> {
  if (!main) return;
  const target = main;
  const found = matchRoute(location.hash);
  for (const a of document.querySelectorAll('nav a')) {
    const here = found && a.getAttribute('href') === `#${found.route.navPath}`;
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  renderCount += 1;
  const mine = renderCount;
  if (!found) {
    mount(
      target,
      h('h1', {}, 'Not found'),
      h('p', {}, 'There is no such screen. '),
      h('a', { href: navItems()[0]!.hash }, 'Go to the start'),
    );
    return;
  }
  document.title = titleFor(found.route.title);
  mount(target, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const view = await found.route.render({
      params: found.params,
      role: nodeRole,
      navigate: (hash) => {
        location.hash = hash;
      },
      wrote: () => indicator?.refresh(),
    });
    if (mine !== renderCount) return;
    mount(target, view);
    const heading = target.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      // A new screen: move the focus (and a screen reader) to its heading, unless the view
      // already put it on one of its own controls.
      if (!target.contains(document.activeElement)) heading.focus({ preventScroll: true });
    }
  } catch (err) {
    if (mine !== renderCount) return;
    if (err instanceof ApiError && err.status === 401) return;
    mount(target, h('h1', {}, found.route.title), notice('alert', ...describeError(err)));
  }
}

window.addEventListener('hashchange', () => {
  if (location.hash === '#main') return;
  void route();
});
whenLoggedOut(() => showLogin('Your session ended. Please log in again.'));

async function boot(): Promise<void> {
  try {
    const session = await get<Session | null>('/auth/session/');
    if (session) await start(session);
    else showLogin();
  } catch (err) {
    if (err instanceof NetworkError) showLogin(err.message);
    else showLogin();
  }
}

void boot();
