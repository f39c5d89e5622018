import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { client, hasRole, messageOf, session } from '../api';
import { useStore } from '../lib/store';
import { live } from '../live';
import { Link, pathOf, route } from '../router';
import { Notices } from './notices';

type Theme = 'light' | 'dark';
const THEME_KEY = 'corral-theme';

export function initialTheme(): Theme {
  const kept = window.localStorage.getItem(THEME_KEY);
  if (kept === 'light' || kept === 'dark') return kept;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

const PAGES = [
  { href: '/', label: 'Fleet', admin: false },
  { href: '/containers', label: 'Containers', admin: false },
  { href: '/address', label: 'Address lookup', admin: false },
  { href: '/commands', label: 'Commands', admin: false },
  { href: '/events', label: 'Events', admin: false },
  { href: '/tokens', label: 'Tokens', admin: true },
  { href: '/enrollment-tokens', label: 'Enrollment tokens', admin: true },
  { href: '/audit', label: 'Audit', admin: true },
];

export function Layout(props: { children: ComponentChildren }) {
  const s = useStore(session);
  const connected = useStore(live.connected);
  const path = pathOf(useStore(route));
  const [theme, setTheme] = useState<Theme>(initialTheme());
  const admin = hasRole(s, 'admin');
  const current = (href: string) => (href === '/' ? path === '/' || path.startsWith('/hosts/') : path.startsWith(href));
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Corral</span>
        <nav aria-label="Pages">
          <ul class="nav-list">
            {PAGES.filter((p) => !p.admin || admin).map((p) => (
              <li key={p.href}>
                <Link href={p.href} aria-current={current(p.href) ? 'page' : undefined}>
                  {p.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="top-right">
          <span class={connected ? 'live on' : 'live off'} role="status">
            {connected ? 'Live' : 'Reconnecting…'}
          </span>
          <span class="who">
            {s?.tokenName} ({s?.role})
          </span>
          <button
            type="button"
            class="ghost"
            aria-label={theme === 'dark' ? 'Use the light theme' : 'Use the dark theme'}
            onClick={() => {
              const next = theme === 'dark' ? 'light' : 'dark';
              window.localStorage.setItem(THEME_KEY, next);
              applyTheme(next);
              setTheme(next);
            }}
          >
            {theme === 'dark' ? 'Light' : 'Dark'}
          </button>
          <button
            type="button"
            onClick={async () => {
              try {
                await client.signOut();
              } catch (err) {
                messageOf(err);
              }
              live.stop();
              session.set(null);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
      <Notices />
    </div>
  );
}
