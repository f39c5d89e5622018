import type { Role } from '../dtos/auth.dto.js';

// Who a request or a connection acts as, once its bearer secret was checked.
export type Principal =
  | { kind: 'token'; id: string; name: string; role: Role }
  | { kind: 'agent'; hostId: string; hostname: string; credentialId: string }
  | { kind: 'enrollment'; id: string; name: string | null; prefix: string };

export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function hasRole(principal: Principal, needed: Role): boolean {
  return principal.kind === 'token' && ROLE_RANK[principal.role] >= ROLE_RANK[needed];
}

// The audit log's actor name and id.
export function actorOf(principal: Principal | null | undefined): { actor: string; actorId: string | null } {
  if (!principal) return { actor: 'anonymous', actorId: null };
  switch (principal.kind) {
    case 'token':
      return { actor: `token:${principal.name}`, actorId: principal.id };
    case 'agent':
      return { actor: `host:${principal.hostname}`, actorId: principal.hostId };
    case 'enrollment':
      return { actor: `enrollment:${principal.name ?? principal.prefix}`, actorId: principal.id };
  }
}

// What a command's requestedBy holds: the token's name and id.
export function requestedByOf(principal: Principal | null | undefined): string | null {
  if (!principal) return null;
  const { actor, actorId } = actorOf(principal);
  return actorId ? `${actor} (${actorId})` : actor;
}

// requestedByOf's "<actor> (<actor id>)", as a pattern JavaScript and Postgres read alike (the
// statements that end commands write their audit entries with it, command.repository.ts).
export const REQUESTED_BY_PATTERN = '^(.*) \\(([^()]+)\\)$';
const REQUESTED_BY = new RegExp(REQUESTED_BY_PATTERN);

// The reverse of requestedByOf, for audit entries of what a command did.
export function actorOfRequestedBy(requestedBy: string | null): { actor: string; actorId: string | null } {
  if (!requestedBy) return { actor: 'system', actorId: null };
  const match = REQUESTED_BY.exec(requestedBy);
  return match ? { actor: match[1]!, actorId: match[2]! } : { actor: requestedBy, actorId: null };
}
