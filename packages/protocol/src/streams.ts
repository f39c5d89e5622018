import { z } from 'zod';
import { CommandTargetSchema } from './commands.js';
import { isUuid } from './keys.js';
import type { ErrorFrame } from './messages.js';

// Interactive exec and log follow: a stream between a client and a process on a host, relayed by
// the controller over the agent's socket. Control messages are JSON text frames like every other;
// the bytes themselves travel in binary frames (see encodeStreamData), each one bounded and paid
// for with credits the receiving side granted, so neither side ever buffers more than its window.

// Bytes of payload in one data frame, at most.
export const STREAM_CHUNK_BYTES = 64 * 1024;
// Output credit a client grants when it opens a stream, unless it says otherwise.
export const STREAM_DEFAULT_WINDOW = 1024 * 1024;
// Credit outstanding at any time, in either direction, at most: a side that asks for more gets this.
export const STREAM_MAX_WINDOW = 4 * 1024 * 1024;
// What the agent grants for stdin when a stream opens.
export const STREAM_STDIN_WINDOW = 256 * 1024;

// What an agent announces in hello.capabilities, per kind and runtime: `stream.exec.docker`, ...
export type StreamKind = 'exec' | 'logs';
export const streamCapability = (kind: StreamKind, runtime: 'docker' | 'lxc') => `stream.${kind}.${runtime}`;

export const StreamChannel = { stdin: 0, stdout: 1, stderr: 2 } as const;
export type StreamChannelName = keyof typeof StreamChannel;
const CHANNEL_NAMES: readonly StreamChannelName[] = ['stdin', 'stdout', 'stderr'];

const dimension = z.number().int().min(1).max(10_000);
const window = z
  .number()
  .int()
  .min(1)
  .max(STREAM_MAX_WINDOW)
  .describe('bytes the receiver is ready to take before it grants more');
const streamId = z.uuid().describe('chosen by the controller when it opens the stream');

export const ExecStreamParamsSchema = z.object({
  command: z
    .array(z.string().max(64 * 1024))
    .min(1)
    .max(4096)
    .describe('program and arguments, no shell'),
  tty: z.boolean().default(false).describe('run under a pseudo-terminal (docker exec -t)'),
  stdin: z.boolean().default(false).describe('keep stdin open (docker exec -i)'),
  cols: dimension.optional().describe('terminal width, with tty'),
  rows: dimension.optional().describe('terminal height, with tty'),
  env: z.record(z.string().regex(/^[^=\0]+$/), z.string()).default({}),
  workdir: z.string().startsWith('/').optional().describe('working directory inside the container'),
  user: z.string().min(1).max(256).optional().describe('user to run as (name, uid or uid:gid)'),
});
export type ExecStreamParams = z.infer<typeof ExecStreamParamsSchema>;

export const LogsStreamParamsSchema = z.object({
  follow: z.boolean().default(true).describe('keep the stream open for new lines'),
  tail: z.number().int().min(0).max(1_000_000).nullable().default(null).describe('lines from the end; null: all'),
  since: z.iso.datetime({ offset: true }).optional().describe('only lines after this time'),
  timestamps: z.boolean().default(false).describe('prefix each line with its time (Docker)'),
});
export type LogsStreamParams = z.infer<typeof LogsStreamParamsSchema>;

export const StreamErrorCodeSchema = z.enum([
  'invalid_params',
  'unsupported',
  'not_found',
  'not_running',
  'engine_error',
  'host_offline',
  'agent_disconnected',
  'flow_control',
  'unauthorized',
  'shutting_down',
  'internal',
]);
export type StreamErrorCode = z.infer<typeof StreamErrorCodeSchema>;

const failure = {
  code: StreamErrorCodeSchema,
  message: z.string().max(4096),
  retryable: z.boolean(),
};

// ---- controller -> agent -------------------------------------------------------------------

const containerTarget = CommandTargetSchema.options[1];

export const StreamExecOpenSchema = z.object({
  type: z.literal('stream.exec.open'),
  streamId,
  target: containerTarget,
  params: ExecStreamParamsSchema,
  window,
});
export type StreamExecOpen = z.infer<typeof StreamExecOpenSchema>;

export const StreamLogsOpenSchema = z.object({
  type: z.literal('stream.logs.open'),
  streamId,
  target: containerTarget,
  params: LogsStreamParamsSchema,
  window,
});
export type StreamLogsOpen = z.infer<typeof StreamLogsOpenSchema>;

export const StreamResizeSchema = z.object({
  type: z.literal('stream.resize'),
  streamId,
  cols: dimension,
  rows: dimension,
});
export type StreamResize = z.infer<typeof StreamResizeSchema>;

// The client closed its stdin.
export const StreamEofSchema = z.object({ type: z.literal('stream.eof'), streamId });
export type StreamEof = z.infer<typeof StreamEofSchema>;

// The client left (or its token stopped holding): the process is killed.
export const StreamCloseSchema = z.object({ type: z.literal('stream.close'), streamId, reason: z.string().max(512) });
export type StreamClose = z.infer<typeof StreamCloseSchema>;

// Both ways: the sender consumed this many more bytes of the other side's data.
export const StreamCreditSchema = z.object({
  type: z.literal('stream.credit'),
  streamId,
  bytes: z.number().int().min(1).max(STREAM_MAX_WINDOW),
});
export type StreamCredit = z.infer<typeof StreamCreditSchema>;

// ---- agent -> controller -------------------------------------------------------------------

export const StreamOpenedSchema = z.object({
  type: z.literal('stream.opened'),
  streamId,
  stdinWindow: z.number().int().min(0).max(STREAM_MAX_WINDOW).describe('stdin bytes the agent takes at first'),
});
export type StreamOpened = z.infer<typeof StreamOpenedSchema>;

export const StreamExitSchema = z.object({
  type: z.literal('stream.exit'),
  streamId,
  exitCode: z.number().int().nullable().describe('null when it was killed by a signal or is unknown'),
  signal: z.string().max(32).nullable().default(null),
});
export type StreamExit = z.infer<typeof StreamExitSchema>;

export const StreamErrorSchema = z.object({ type: z.literal('stream.error'), streamId, ...failure });
export type StreamError = z.infer<typeof StreamErrorSchema>;

export const ControllerStreamMessageSchemas = [
  StreamExecOpenSchema,
  StreamLogsOpenSchema,
  StreamResizeSchema,
  StreamEofSchema,
  StreamCloseSchema,
  StreamCreditSchema,
] as const;
export const AgentStreamMessageSchemas = [
  StreamOpenedSchema,
  StreamCreditSchema,
  StreamExitSchema,
  StreamErrorSchema,
] as const;

// ---- client <-> controller (the client's own socket, one stream per socket) -----------------

export const ClientExecStartSchema = ExecStreamParamsSchema.extend({
  type: z.literal('exec.start'),
  window: window.default(STREAM_DEFAULT_WINDOW),
});
export const ClientLogsStartSchema = LogsStreamParamsSchema.extend({
  type: z.literal('logs.start'),
  window: window.default(STREAM_DEFAULT_WINDOW),
});
export const ClientResizeSchema = z.object({ type: z.literal('resize'), cols: dimension, rows: dimension });
export const ClientEofSchema = z.object({ type: z.literal('eof') });
export const ClientCreditSchema = z.object({
  type: z.literal('credit'),
  bytes: z.number().int().min(1).max(STREAM_MAX_WINDOW),
});

export const ClientStreamMessageSchema = z.discriminatedUnion('type', [
  ClientExecStartSchema,
  ClientLogsStartSchema,
  ClientResizeSchema,
  ClientEofSchema,
  ClientCreditSchema,
]);
export type ClientStreamMessage = z.infer<typeof ClientStreamMessageSchema>;
export type ClientExecStart = z.input<typeof ClientExecStartSchema>;
export type ClientLogsStart = z.input<typeof ClientLogsStartSchema>;

export const ServerStartedSchema = z.object({
  type: z.literal('started'),
  streamId,
  containerId: z.string(),
  name: z.string(),
  hostId: z.string(),
  hostname: z.string(),
  runtime: z.enum(['docker', 'lxc']),
  stdinWindow: z.number().int().min(0),
});
export const ServerCreditSchema = z.object({ type: z.literal('credit'), bytes: z.number().int().min(1) });
export const ServerExitSchema = z.object({
  type: z.literal('exit'),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
});
export const ServerErrorSchema = z.object({ type: z.literal('error'), ...failure });

export const ServerStreamMessageSchema = z.discriminatedUnion('type', [
  ServerStartedSchema,
  ServerCreditSchema,
  ServerExitSchema,
  ServerErrorSchema,
]);
export type ServerStreamMessage = z.infer<typeof ServerStreamMessageSchema>;
export type ServerStarted = z.infer<typeof ServerStartedSchema>;

// Close codes of a client's stream socket past the standard ones.
export const STREAM_CLOSE = {
  // The process exited; the exit message came before.
  exited: 1000,
  invalid: 4400,
  unauthorized: 4401,
  notFound: 4404,
  agentGone: 4502,
  hostOffline: 4503,
  failed: 4500,
  flowControl: 4429,
} as const;

// ---- binary data frames --------------------------------------------------------------------

// Agent socket: [1 = data][stream id, 16 bytes][channel][payload]. Client socket: [channel][payload],
// which is the agent frame without its first 17 bytes: the controller forwards a view, not a copy.
const DATA = 1;
const AGENT_HEADER = 18;
export const AGENT_TO_CLIENT_OFFSET = 17;

export interface StreamData {
  streamId: string;
  channel: StreamChannelName;
  payload: Uint8Array;
  // The same bytes framed for the client's socket ([channel][payload]), a view into the frame.
  clientFrame: Uint8Array;
}

export type StreamDataResult = ({ ok: true } & StreamData) | { ok: false; error: ErrorFrame };

function uuidBytes(id: string): Uint8Array {
  if (!isUuid(id)) throw new Error(`stream id must be a UUID, got "${id.slice(0, 40)}"`);
  const hex = id.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function uuidText(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function encodeStreamData(streamId: string, channel: StreamChannelName, payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload.length > STREAM_CHUNK_BYTES) {
    throw new Error(`stream data must be 1 to ${STREAM_CHUNK_BYTES} bytes, got ${payload.length}`);
  }
  const frame = new Uint8Array(AGENT_HEADER + payload.length);
  frame[0] = DATA;
  frame.set(uuidBytes(streamId), 1);
  frame[17] = StreamChannel[channel];
  frame.set(payload, AGENT_HEADER);
  return frame;
}

// Checks a binary frame from the other side of the agent socket; `allowed` are the channels that
// side may send (the controller sends stdin, the agent stdout and stderr).
export function decodeStreamData(frame: Uint8Array, allowed: readonly StreamChannelName[]): StreamDataResult {
  const bad = (message: string) => ({
    ok: false as const,
    error: {
      type: 'error' as const,
      code: 'invalid_message' as const,
      message: `binary frame: ${message}`,
      retryable: false,
      field: null,
      inReplyTo: 'stream.data',
    },
  });
  if (frame.length <= AGENT_HEADER) return bad(`too short (${frame.length} bytes; header is ${AGENT_HEADER})`);
  if (frame[0] !== DATA) return bad(`unknown kind ${frame[0]} (1 is stream data)`);
  const channel = CHANNEL_NAMES[frame[17]!];
  if (!channel || !allowed.includes(channel)) return bad(`channel ${frame[17]} is not one this side may send`);
  const payload = frame.subarray(AGENT_HEADER);
  if (payload.length > STREAM_CHUNK_BYTES)
    return bad(`payload of ${payload.length} bytes exceeds ${STREAM_CHUNK_BYTES}`);
  return {
    ok: true,
    streamId: uuidText(frame.subarray(1, 17)),
    channel,
    payload,
    clientFrame: frame.subarray(AGENT_TO_CLIENT_OFFSET),
  };
}

export function encodeClientData(channel: StreamChannelName, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(1 + payload.length);
  frame[0] = StreamChannel[channel];
  frame.set(payload, 1);
  return frame;
}

export function decodeClientData(
  frame: Uint8Array,
  allowed: readonly StreamChannelName[],
): { ok: true; channel: StreamChannelName; payload: Uint8Array } | { ok: false; message: string } {
  if (frame.length < 2) return { ok: false, message: 'binary frame: a channel byte and at least one byte of data' };
  const channel = CHANNEL_NAMES[frame[0]!];
  if (!channel || !allowed.includes(channel))
    return { ok: false, message: `binary frame: channel ${frame[0]} not allowed here` };
  const payload = frame.subarray(1);
  if (payload.length > STREAM_CHUNK_BYTES) {
    return { ok: false, message: `binary frame: ${payload.length} bytes of data exceed ${STREAM_CHUNK_BYTES}` };
  }
  return { ok: true, channel, payload };
}
