import { CorralApiError, CorralClient, type Session } from '@corral/client';
import { Store } from './lib/store';

// The one client of the page: same origin, the session cookie rides along, the CSRF header is set
// once signed in. Nothing here keeps the API token.
export const client = new CorralClient({ baseUrl: window.location.origin });

// null: signed out; undefined: not known yet (the page is asking).
export const session = new Store<Session | null | undefined>(undefined);

export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function hasRole(s: Session | null | undefined, needed: Role): boolean {
  return !!s && RANK[s.role as Role] >= RANK[needed];
}

export function messageOf(err: unknown): string {
  if (err instanceof CorralApiError) {
    if (err.status === 401) session.set(null);
    return `${err.message}${err.field ? ` (${err.field})` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
