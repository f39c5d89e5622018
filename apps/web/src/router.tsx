import type { ComponentChildren } from 'preact';
import { Store } from './lib/store';

export const route = new Store<string>(window.location.pathname + window.location.search);

window.addEventListener('popstate', () => route.set(window.location.pathname + window.location.search));

export function navigate(href: string): void {
  if (href === route.value) return;
  window.history.pushState(null, '', href);
  route.set(href);
  window.scrollTo(0, 0);
}

export function Link(props: { href: string; class?: string; children: ComponentChildren; 'aria-current'?: 'page' }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props['aria-current']}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export function pathOf(href: string): string {
  return href.split('?')[0] ?? '/';
}

export function queryOf(href: string): URLSearchParams {
  return new URLSearchParams(href.split('?')[1] ?? '');
}
