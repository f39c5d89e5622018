import type { z } from 'zod';
import type { ErrorCode } from './errors.js';
import { RETRYABLE_CODES } from './errors.js';
import {
  type AgentMessage,
  AgentMessageSchema,
  type ControllerMessage,
  ControllerMessageSchema,
  type ErrorFrame,
} from './messages.js';

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: ErrorFrame };

export function errorFrame(
  code: ErrorCode,
  message: string,
  extra: { field?: string | null; inReplyTo?: string | null } = {},
): ErrorFrame {
  return {
    type: 'error',
    code,
    message,
    retryable: RETRYABLE_CODES.has(code),
    field: extra.field ?? null,
    inReplyTo: extra.inReplyTo ?? null,
  };
}

export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

// One line naming the first offending field, e.g. `containers[3].state: Invalid option: expected one of ...`.
export function describeZodError(error: z.ZodError): { field: string | null; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: null, message: 'invalid value' };
  const field = issue.path.length > 0 ? formatIssuePath(issue.path) : null;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return { field, message: `${field ?? '(root)'}: ${issue.message}${more}` };
}

function parseFrame<T>(data: string, schema: z.ZodType<T>, knownTypes: ReadonlySet<string>): ParseResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch (err) {
    return { ok: false, error: errorFrame('invalid_json', `frame is not valid JSON: ${(err as Error).message}`) };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: errorFrame('invalid_message', 'frame must be a JSON object with a "type" field') };
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, error: errorFrame('invalid_message', 'type: expected a string', { field: 'type' }) };
  }
  if (!knownTypes.has(type)) {
    return {
      ok: false,
      error: errorFrame('unknown_message_type', `unknown message type "${type.slice(0, 64)}"`, {
        field: 'type',
        inReplyTo: type.slice(0, 64),
      }),
    };
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const { field, message } = describeZodError(result.error);
    return { ok: false, error: errorFrame('invalid_message', `${type}: ${message}`, { field, inReplyTo: type }) };
  }
  return { ok: true, message: result.data };
}

const AGENT_TYPES = new Set(AgentMessageSchema.options.map((o) => o.shape.type.value));
const CONTROLLER_TYPES = new Set(ControllerMessageSchema.options.map((o) => o.shape.type.value));

export function parseAgentMessage(data: string): ParseResult<AgentMessage> {
  return parseFrame(data, AgentMessageSchema, AGENT_TYPES);
}

export function parseControllerMessage(data: string): ParseResult<ControllerMessage> {
  return parseFrame(data, ControllerMessageSchema, CONTROLLER_TYPES);
}
