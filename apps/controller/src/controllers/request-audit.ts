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
