import { useEffect } from 'preact/hooks';
import { client, hasRole, session } from './api';
import { Layout } from './components/layout';
import { fleet } from './lib/fleet-store';
import { useStore } from './lib/store';
import { live } from './live';
import { AddressPage } from './pages/address';
import { AuditPage } from './pages/audit';
import { CommandsPage } from './pages/commands';
import { ContainersPage } from './pages/containers';
import { EventsPage } from './pages/events';
import { FleetPage } from './pages/fleet';
import { HostPage } from './pages/host';
import { SignIn } from './pages/sign-in';
import { EnrollmentTokensPage, TokensPage } from './pages/tokens';
import { pathOf, route } from './router';

const TITLES: Record<string, string> = {
  '/': 'Fleet',
  '/containers': 'Containers',
  '/address': 'Address lookup',
  '/commands': 'Commands',
  '/events': 'Events',
  '/tokens': 'API tokens',
  '/enrollment-tokens': 'Enrollment tokens',
  '/audit': 'Audit',
};

function Page(props: { path: string }) {
  const s = useStore(session);
  const { path } = props;
  const host = /^\/hosts\/([^/]+)$/.exec(path);
  if (host) return <HostPage id={decodeURIComponent(host[1]!)} />;
  const admin = hasRole(s, 'admin');
  switch (path) {
    case '/':
      return <FleetPage />;
    case '/containers':
      return <ContainersPage />;
    case '/address':
      return <AddressPage />;
    case '/commands':
      return <CommandsPage />;
    case '/events':
      return <EventsPage />;
    case '/tokens':
      return admin ? <TokensPage /> : <NotAllowed />;
    case '/enrollment-tokens':
      return admin ? <EnrollmentTokensPage /> : <NotAllowed />;
    case '/audit':
      return admin ? <AuditPage /> : <NotAllowed />;
    default:
      return (
        <div class="page">
          <h1>Not found</h1>
          <p>There is no page at {path}.</p>
        </div>
      );
  }
}

function NotAllowed() {
  return (
    <div class="page">
      <h1>Admins only</h1>
      <p>This page needs an admin token.</p>
    </div>
  );
}

export function App() {
  const s = useStore(session);
  const path = pathOf(useStore(route));
  useEffect(() => {
    client.session().then(
      (found) => session.set(found),
      () => session.set(null),
    );
  }, []);
  useEffect(() => {
    if (s) live.start();
    else if (s === null) {
      live.stop();
      fleet.reset();
    }
  }, [s]);
  useEffect(() => {
    const title = path.startsWith('/hosts/') ? 'Host' : (TITLES[path] ?? 'Not found');
    document.title = s ? `${title} · Corral` : 'Sign in · Corral';
  }, [path, s]);
  if (s === undefined) return <p class="page">Loading…</p>;
  if (s === null) return <SignIn />;
  return (
    <Layout>
      <Page path={path} />
    </Layout>
  );
}
