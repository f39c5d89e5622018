import { maskSecretsDeep } from '@corral/protocol';

export const REDACTED = '[redacted]';

// Field names whose values never reach a log line, whatever the object they sit in (compared lower-case).
const SECRET_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'registryauth',
  'x-registry-auth',
  'secret',
  'token',
  'credential',
  'identitytoken',
  'auth',
]);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

// The fields of a log line with secrets taken out: values under secret-looking keys, and secret
// env values (the same masking commands get in events). Returns the object itself when nothing changed.
export function redactLogFields<T>(value: T, depth = 0): T {
  const masked = depth === 0 ? maskSecretsDeep(value) : value;
  return redactKeys(masked, depth) as T;
}

function redactKeys(value: unknown, depth: number): unknown {
  if (depth > 8 || !isObject(value) || value instanceof Error) return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const r = redactKeys(item, depth + 1);
      if (r !== item) changed = true;
      return r;
    });
    return changed ? out : value;
  }
  let out: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const next =
      SECRET_KEYS.has(key.toLowerCase()) && item !== null && item !== '' ? REDACTED : redactKeys(item, depth + 1);
    if (next === item) continue;
    out ??= { ...value };
    out[key] = next;
  }
  return out ?? value;
}

// A URL as logged: the values of secret-looking query parameters replaced.
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of [...params.keys()]) {
    if (SECRET_KEYS.has(key.toLowerCase()) || /token|secret|password|key/i.test(key)) {
      params.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}
