// Environment variable names whose values are masked for every role in events and the audit log.
export const SECRET_ENV_NAME = /KEY|TOKEN|SECRET|PASSWORD/i;
export const MASKED_VALUE = '********';

export function maskSecretEnv(env: Readonly<Record<string, unknown>>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [name, value] of Object.entries(env)) {
    if (!SECRET_ENV_NAME.test(name) || value === MASKED_VALUE) continue;
    out ??= { ...env };
    out[name] = MASKED_VALUE;
  }
  return out ?? (env as Record<string, unknown>);
}

// A copy of `value` with every `env` map in it masked (params, a placement's spec, audit details);
// the same object when there was nothing to mask.
export function maskSecretsDeep<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const masked = maskSecretsDeep(item, depth + 1);
      if (masked !== item) changed = true;
      return masked;
    });
    return (changed ? out : value) as T;
  }
  let out: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const masked =
      key === 'env' && item !== null && typeof item === 'object' && !Array.isArray(item)
        ? maskSecretEnv(item as Record<string, unknown>)
        : maskSecretsDeep(item, depth + 1);
    if (masked === item) continue;
    out ??= { ...(value as Record<string, unknown>) };
    out[key] = masked;
  }
  return (out ?? value) as T;
}
