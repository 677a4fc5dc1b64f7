/** Hash routes of each node's UI. A view renders to a node; errors are shown by main.ts. */
import { appointmentView } from './views/appointment';
import { bookView } from './views/book';
import { centralConflictsView } from './views/central-conflicts';
import { conflictsView } from './views/conflicts';
import { nodesView } from './views/nodes';
import { scheduleView } from './views/schedule';
import { searchView } from './views/search';
import { upcomingView } from './views/upcoming';

export interface ViewContext {
  /** Captured groups of the route's pattern. */
  params: string[];
  role: 'edge' | 'central';
  navigate(hash: string): void;
  /** Tell the sync indicator that this page just wrote something. */
  wrote(): void;
}

export interface Route {
  pattern: RegExp;
  /** The nav link this screen belongs to (for aria-current). */
  navPath: string;
  title: string;
  render(ctx: ViewContext): Promise<Node>;
}

const ID = '([0-9a-fA-F-]{36})';

export function routes(role: 'edge' | 'central'): Route[] {
  const shared: Route[] = [
    {
      pattern: /^\/schedule$/,
      navPath: '/schedule',
      title: 'Schedule',
      render: scheduleView,
    },
    {
      pattern: /^\/upcoming$/,
      navPath: '/upcoming',
      title: 'Upcoming appointments',
      render: upcomingView,
    },
    {
      pattern: new RegExp(`^/appointments/${ID}$`),
      navPath: '/schedule',
      title: 'Appointment',
      render: appointmentView,
    },
  ];
  if (role === 'central') {
    return [
      ...shared,
      {
        pattern: /^\/conflicts$/,
        navPath: '/conflicts',
        title: 'Conflicts',
        render: centralConflictsView,
      },
      { pattern: /^\/nodes$/, navPath: '/nodes', title: 'Nodes', render: nodesView },
      {
        pattern: /^\/search$/,
        navPath: '/search',
        title: 'Search appointments',
        render: searchView,
      },
    ];
  }
  return [
    ...shared,
    { pattern: /^\/book$/, navPath: '/book', title: 'Book an appointment', render: bookView },
    { pattern: /^\/conflicts$/, navPath: '/conflicts', title: 'Conflicts', render: conflictsView },
  ];
}
