import { createHash } from 'node:crypto';
import {
  COMMAND_PARAMS,
  type CommandError,
  type CommandOp,
  opSpec,
  RUNTIME_OPS,
  type RuntimeName,
  type RuntimeStatus,
} from '@corral/protocol';
import type { z } from 'zod';
import type { CommandStatus } from '../generated/prisma/enums.js';

export const OPEN_STATUSES = ['pending', 'sent', 'running'] as const satisfies readonly CommandStatus[];
export const FINAL_STATUSES = [
  'succeeded',
  'failed',
  'timed_out',
  'canceled',
] as const satisfies readonly CommandStatus[];
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export const isFinal = (status: CommandStatus): status is FinalStatus =>
  (FINAL_STATUSES as readonly CommandStatus[]).includes(status);

// The statuses each transition may start from. The repository turns them into
// `UPDATE ... WHERE status IN (...)`, so a late frame can never overwrite a final status.
export const TRANSITIONS = {
  // pending -> sent: the command frame went to the agent's socket.
  send: ['pending'],
  // -> running: command.accepted (a pending one too, should the frame beat our own update).
  accept: ['pending', 'sent'],
  // -> succeeded | failed | canceled | timed_out: command.result.
  finish: ['pending', 'sent', 'running'],
  // -> timed_out (or canceled, when a cancel was asked for): the deadline passed.
  expire: ['pending', 'sent', 'running'],
  // -> canceled at once: it never left the controller.
  cancel: ['pending'],
  // status kept, cancelRequestedAt set and command.cancel sent: the agent's result decides.
  requestCancel: ['sent', 'running'],
} as const satisfies Record<string, readonly CommandStatus[]>;

export type Transition = keyof typeof TRANSITIONS;

export function canTransition(transition: Transition, from: CommandStatus): boolean {
  return (TRANSITIONS[transition] as readonly CommandStatus[]).includes(from);
}

// The final status an agent's command.result stands for.
export function statusOfResult(ok: boolean, error: CommandError | null): FinalStatus {
  if (ok) return 'succeeded';
  if (error?.code === 'canceled') return 'canceled';
  if (error?.code === 'timeout') return 'timed_out';
  return 'failed';
}

// What the deadline sweeper records for a command whose deadline passed.
export function expiryOutcome(cancelRequested: boolean): { status: FinalStatus; error: CommandError } {
  if (cancelRequested) {
    return {
      status: 'canceled',
      error: {
        code: 'canceled',
        message: 'canceled; the agent did not confirm that it stopped, so the operation may have taken effect',
        retryable: false,
      },
    };
  }
  return {
    status: 'timed_out',
    error: { code: 'timeout', message: 'the deadline passed before the agent reported a result', retryable: true },
  };
}

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
