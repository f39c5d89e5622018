import type { CommandError } from '@corral/protocol';
import { CommandFailure } from './handler.js';

// Socket-level failures reaching an engine: the engine may be back on a later try.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface EngineErrorShape {
  statusCode?: unknown;
  json?: unknown;
  reason?: unknown;
  code?: unknown;
  message?: unknown;
}

// The one place where errors thrown by handlers become wire errors. Engine HTTP errors (dockerode
// carries `statusCode` and the daemon's JSON body) map by status; everything else is internal.
export function toCommandError(error: unknown): CommandError {
  if (error instanceof CommandFailure) {
    return { code: error.code, message: error.message, retryable: error.retryable };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as EngineErrorShape;
  if (typeof e.statusCode === 'number') {
    const message = engineMessage(e);
    if (e.statusCode === 404) return { code: 'not_found', message, retryable: false };
    if (e.statusCode === 409) return { code: 'conflict', message, retryable: false };
    return { code: 'engine_error', message, retryable: e.statusCode === 503 };
  }
  if (isConnectionError(e)) {
    return { code: 'engine_error', message: `engine unreachable: ${String(e.message)}`, retryable: true };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message, retryable: false };
}

export function isConnectionError(error: unknown): boolean {
  const e = (typeof error === 'object' && error !== null ? error : {}) as EngineErrorShape;
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  // docker-modem's request idle timeout.
  return e.message === 'timeout' || (typeof e.message === 'string' && e.message.startsWith('connect '));
}

// The daemon's own words ("No such container: abc"), without dockerode's "(HTTP code 404) ..." wrapper.
export function engineMessage(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as EngineErrorShape;
  const json = e.json as { message?: unknown } | string | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message.trim();
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (typeof e.reason === 'string' && e.reason) return e.reason;
  return typeof e.message === 'string' ? e.message.trim() : String(error);
}

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
