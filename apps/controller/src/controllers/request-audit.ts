import { SetMetadata } from '@nestjs/common';
import type { AuditRecord } from '../services/audit.service.js';
import type { AuthenticatedRequest } from './auth.decorators.js';

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// The matched route pattern (never the URL: a query string is no place for the audit log).
export function routePattern(req: AuthenticatedRequest): string {
  return req.route?.path ?? req.path ?? 'unknown';
}

export function remoteAddr(req: AuthenticatedRequest): string | null {
  return req.ip ?? req.socket?.remoteAddress ?? null;
}

// What a route acts on, from its pattern: /api/v1/containers/:id/start -> container <id>.
export function routeTarget(req: AuthenticatedRequest): { targetKind: string | null; targetId: string | null } {
  const segments = routePattern(req).split('/').filter(Boolean);
  const index = segments.findIndex((s) => s.startsWith(':'));
  if (index <= 0) {
    const last = segments[segments.length - 1];
    return { targetKind: last && last !== 'v1' ? singular(last) : null, targetId: null };
  }
  const name = segments[index]!.slice(1);
  return { targetKind: singular(segments[index - 1]!), targetId: req.params?.[name] ?? null };
}

function singular(segment: string): string {
  return segment.endsWith('s') ? segment.slice(0, -1) : segment;
}

export function outcomeOf(status: number): string {
  if (status === 401 || status === 403) return 'denied';
  return status < 400 ? 'ok' : 'failed';
}

// A route that writes its own audit entry together with what it changes (placements): the audit
// interceptor records only its failures.
export const AUDITED_BY_ROUTE = 'corral:audited-by-route';
export const AuditedByRoute = () => SetMetadata(AUDITED_BY_ROUTE, true);

// An internal route between replicas: the replica that took the user's request records it.
export const AUDITED_BY_CALLER = 'corral:audited-by-caller';
export const AuditedByCaller = () => SetMetadata(AUDITED_BY_CALLER, true);

// A request whose entry its route wrote this time (a command route that made its command writes
// the entry in the command's insert); the audit interceptor then records only a failure after it.
const WRITTEN = Symbol('corral.auditWritten');
export function markAuditWritten(req: object): void {
  (req as Record<symbol, boolean>)[WRITTEN] = true;
}
export function auditWritten(req: object): boolean {
  return (req as Record<symbol, boolean>)[WRITTEN] === true;
}

// The entry of a state-changing API call: who, the route (and its op), its target or what it made.
export function requestAuditRecord(
  req: AuthenticatedRequest,
  op: string | undefined,
  statusCode: number,
  result: unknown,
): AuditRecord {
  const target = routeTarget(req);
  const created = createdTarget(result);
  const commandId = op ? created?.id : undefined;
  const useCreated = !op && !target.targetId && created;
  return {
    principal: req.principal,
    action: `${req.method} ${routePattern(req)}${op ? ` ${op}` : ''}`,
    targetKind: useCreated ? (created.kind ?? target.targetKind) : target.targetKind,
    targetId: useCreated ? created.id : target.targetId,
    outcome: outcomeOf(statusCode),
    statusCode,
    detail: { ...(op ? { op } : {}), ...(commandId ? { commandId } : {}) },
    remoteAddr: remoteAddr(req),
  };
}

// The id of what the call made or answered with (never any other field: it may hold a secret).
function createdTarget(result: unknown): { id: string; kind?: string } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { id, hostId } = result as { id?: unknown; hostId?: unknown };
  if (typeof id === 'string') return { id };
  if (typeof hostId === 'string') return { id: hostId, kind: 'host' };
  return undefined;
}
