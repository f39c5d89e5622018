import type { CommandOp } from './commands.js';

// What of a command only operators and admins may see: params that may carry secrets or private
// data, and whether its streamed output and its result carry the container's output. Viewers get
// commands without them, on every route and on the event stream.
export interface CommandSensitivity {
  params: readonly string[];
  output: boolean;
}

const NONE: CommandSensitivity = { params: [], output: false };

export const COMMAND_SENSITIVITY: Readonly<Record<CommandOp, CommandSensitivity>> = {
  'container.create': { params: ['env'], output: false },
  'container.start': NONE,
  'container.stop': NONE,
  'container.restart': NONE,
  'container.kill': NONE,
  'container.pause': NONE,
  'container.unpause': NONE,
  'container.freeze': NONE,
  'container.unfreeze': NONE,
  'container.remove': NONE,
  'container.rename': NONE,
  // Command lines often carry passwords (mysql -p..., curl -H "Authorization: ...").
  'container.exec': { params: ['env', 'command'], output: true },
  'container.logs': { params: [], output: true },
  'container.snapshot.create': NONE,
  'container.snapshot.list': NONE,
  'container.snapshot.restore': NONE,
  'container.snapshot.delete': NONE,
  'container.clone': NONE,
  'image.import': NONE,
  'image.tag': NONE,
  'image.remove': NONE,
  'image.prune': NONE,
  'volume.create': NONE,
  'volume.remove': NONE,
  'volume.prune': NONE,
  'network.create': NONE,
  'network.remove': NONE,
  'network.connect': NONE,
  'network.disconnect': NONE,
  'host.refresh': NONE,
};

// An op this table does not know (a newer peer's) is treated as the most sensitive kind.
export function sensitivityOf(op: string): CommandSensitivity {
  return (
    (COMMAND_SENSITIVITY as Record<string, CommandSensitivity | undefined>)[op] ?? {
      params: ['env', 'command'],
      output: true,
    }
  );
}

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
