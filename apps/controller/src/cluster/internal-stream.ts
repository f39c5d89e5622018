import { StreamExecOpenSchema } from '@corral/protocol';
import { z } from 'zod';
import type { StreamSubject } from '../gateways/client-stream.js';
import type { StreamOpenRequest } from '../services/stream-relay.js';

// A stream relayed to the replica holding the host's agent: one internal WebSocket per stream on
// this path, carrying the client-socket frames (ClientStreamMessage one way, ServerStreamMessage
// and binary [channel][payload] frames both ways). The replica that took the client's socket
// resolved and audited the stream; it names the stream, host and target in a header of the upgrade,
// and the start frame carries the params as the client sent them.
export const INTERNAL_STREAMS_PATH = '/internal/streams';
export const STREAM_SUBJECT_HEADER = 'x-corral-stream';

const InternalStreamSubjectSchema = z.object({
  streamId: z.uuid(),
  kind: z.enum(['exec', 'logs']),
  hostId: z.string().min(1).max(256),
  target: StreamExecOpenSchema.shape.target,
});
export type InternalStreamSubject = z.infer<typeof InternalStreamSubjectSchema>;

export function encodeStreamSubject(request: StreamOpenRequest): string {
  const { streamId, kind, hostId, target } = request;
  return Buffer.from(JSON.stringify({ streamId, kind, hostId, target })).toString('base64url');
}

// What the holding replica's ClientStream needs; the names only fill its `started` frame, of which
// the calling replica reads the stdin window alone.
export function subjectOf(internal: InternalStreamSubject): StreamSubject {
  const { kind, hostId, target } = internal;
  return { kind, containerId: target.id, name: target.id, hostId, hostname: hostId, target };
}

// The subject named in an upgrade's header, or a reason it is not one.
export function decodeStreamSubject(
  header: string | string[] | undefined,
): { ok: true; subject: InternalStreamSubject } | { ok: false; reason: string } {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return { ok: false, reason: `the ${STREAM_SUBJECT_HEADER} header is missing` };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: `the ${STREAM_SUBJECT_HEADER} header is not base64url JSON` };
  }
  const parsed = InternalStreamSubjectSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `the ${STREAM_SUBJECT_HEADER} header: ${parsed.error.message}` };
  return { ok: true, subject: parsed.data };
}
