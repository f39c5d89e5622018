import { createHash } from 'node:crypto';
import {
  COMMAND_PARAMS,
  type CommandOp,
  opSpec,
  RUNTIME_OPS,
  type RuntimeName,
  type RuntimeStatus,
} from '@corral/protocol';
import type { z } from 'zod';

const verb = (op: CommandOp) => op.split('.').slice(1).join(' ');

// Null when the runtime can do the op; otherwise the 422 message, e.g. "lxc containers cannot pause; use freeze".
export function runtimeRefusal(runtime: RuntimeName, op: CommandOp): string | null {
  if (RUNTIME_OPS[runtime].has(op)) return null;
  const instead = opSpec(op).instead?.[runtime];
  return `${runtime} containers cannot ${verb(op)}${instead ? `; use ${instead}` : ''}`;
}

// Null when the host reported the runtime usable in its last hello; otherwise the 422 message.
export function hostRuntimeRefusal(hostname: string, runtimes: RuntimeStatus[], runtime: RuntimeName): string | null {
  const status = runtimes.find((r) => r.name === runtime);
  if (status?.available) return null;
  const why = status?.reason ? ` (${status.reason})` : status ? '' : ' (the agent did not report it)';
  return `host ${hostname} has no usable ${runtime} runtime${why}`;
}

// The first top-level body key the op's params schema does not know; zod would drop it silently.
export function unknownParamKey(op: CommandOp, params: Record<string, unknown>): string | null {
  const schema = COMMAND_PARAMS[op] as z.ZodType;
  let known: Set<string>;
  if ('options' in schema && Array.isArray(schema.options)) {
    // container.create: the keys of the option picked by `runtime`, else of any option.
    const options = schema.options as z.ZodObject[];
    const picked = options.find((o) => {
      const literal = o.shape.runtime as z.ZodLiteral | undefined;
      return literal?.value === params.runtime;
    });
    known = new Set((picked ? [picked] : options).flatMap((o) => Object.keys(o.shape)));
  } else {
    known = new Set(Object.keys((schema as z.ZodObject).shape));
  }
  return Object.keys(params).find((key) => !known.has(key)) ?? null;
}

// JSON with object keys sorted, so equal requests hash equally whatever order the client wrote.
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(stableJson(request)).digest('hex');
}
