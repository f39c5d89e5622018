import {
  type AgentMessage,
  decodeStreamData,
  type ErrorFrame,
  encodeStreamData,
  STREAM_MAX_WINDOW,
  streamCapability,
} from '@corral/protocol';
import { Injectable, Logger } from '@nestjs/common';
import type { AgentSession } from '../gateways/agent-session.js';
import { ConnectedHosts } from './connected-hosts.js';
import {
  type StreamHandle,
  type StreamOpenRequest,
  type StreamRelay,
  type StreamSink,
  StreamUnavailableError,
} from './stream-relay.js';

type AgentStreamMessage = Extract<AgentMessage, { type: `stream.${string}` }>;

interface Relayed {
  id: string;
  session: AgentSession;
  sink: StreamSink;
  // Output credit given to the agent and not yet used: the most the agent may send now.
  outstanding: number;
}

// The relay when the client socket and the agent socket are in this process: frames go straight
// from one to the other. Output is checked against the credit the client gave (a frame past it
// ends the stream), and credit the client gives is capped at STREAM_MAX_WINDOW outstanding, so
// memory per stream stays bounded whatever either side does.
@Injectable()
export class LocalStreamRelay implements StreamRelay {
  private readonly logger = new Logger('Streams');
  private readonly streams = new Map<string, Relayed>();
  private readonly watched = new WeakSet<AgentSession>();

  constructor(private readonly connected: ConnectedHosts) {}

  openCount(): number {
    return this.streams.size;
  }

  open(request: StreamOpenRequest, sink: StreamSink): StreamHandle {
    const session = this.connected.get(request.hostId);
    if (!session || session.socket.readyState !== session.socket.OPEN) {
      throw new StreamUnavailableError('host_offline', 'the host has no agent connected; wait for it to come back');
    }
    const capability = streamCapability(request.kind, request.target.runtime);
    if (!session.capabilities.includes(capability)) {
      const hint =
        request.target.runtime === 'lxc' && request.kind === 'exec'
          ? ' (update it, or install node-pty)'
          : ' (update it)';
      throw new StreamUnavailableError(
        'unsupported',
        `the agent on ${session.hostname ?? request.hostId} cannot stream ${request.kind} for ${request.target.runtime} containers${hint}`,
      );
    }
    const stream: Relayed = {
      id: request.streamId,
      session,
      sink,
      outstanding: Math.min(request.window, STREAM_MAX_WINDOW),
    };
    this.streams.set(stream.id, stream);
    this.watch(session);
    const base = { streamId: stream.id, target: request.target, window: stream.outstanding };
    session.send(
      request.kind === 'exec'
        ? { type: 'stream.exec.open', ...base, params: request.params }
        : { type: 'stream.logs.open', ...base, params: request.params },
    );
    const live = () => this.streams.get(stream.id) === stream;
    return {
      input: (payload) => {
        if (live() && session.socket.readyState === session.socket.OPEN) {
          session.socket.send(encodeStreamData(stream.id, 'stdin', payload));
        }
      },
      resize: (cols, rows) => live() && session.send({ type: 'stream.resize', streamId: stream.id, cols, rows }),
      eof: () => live() && session.send({ type: 'stream.eof', streamId: stream.id }),
      credit: (bytes) => {
        const grant = Math.min(bytes, STREAM_MAX_WINDOW - stream.outstanding);
        if (!live() || grant <= 0) return;
        stream.outstanding += grant;
        session.send({ type: 'stream.credit', streamId: stream.id, bytes: grant });
      },
      close: (reason) => {
        if (!live()) return;
        this.streams.delete(stream.id);
        session.send({ type: 'stream.close', streamId: stream.id, reason: reason.slice(0, 512) });
      },
    };
  }

  // A stream control frame from an agent. Frames of streams already ended are late, not wrong.
  agentFrame(session: AgentSession, message: AgentStreamMessage): void {
    const stream = this.streams.get(message.streamId);
    if (!stream || stream.session !== session) return;
    switch (message.type) {
      case 'stream.opened':
        stream.sink.opened(message.stdinWindow);
        return;
      case 'stream.credit':
        stream.sink.credit(message.bytes);
        return;
      case 'stream.exit':
        this.streams.delete(stream.id);
        stream.sink.exit(message.exitCode, message.signal);
        return;
      case 'stream.error':
        this.streams.delete(stream.id);
        stream.sink.error(message.code, message.message, message.retryable);
        return;
    }
  }

  // A binary frame from an agent: output of one of its streams. Returns an error frame for the
  // agent when the frame is malformed.
  agentData(session: AgentSession, frame: Uint8Array): ErrorFrame | null {
    const decoded = decodeStreamData(frame, ['stdout', 'stderr']);
    if (!decoded.ok) return decoded.error;
    const stream = this.streams.get(decoded.streamId);
    if (!stream || stream.session !== session) return null;
    if (decoded.payload.length > stream.outstanding) {
      this.logger.warn(`agent ${session.label} sent stream output past its credit; ending stream ${stream.id}`);
      this.streams.delete(stream.id);
      session.send({ type: 'stream.close', streamId: stream.id, reason: 'output past the credit' });
      stream.sink.error('flow_control', 'the agent sent more output than the stream allowed', false);
      return null;
    }
    stream.outstanding -= decoded.payload.length;
    stream.sink.output(decoded.channel as 'stdout' | 'stderr', decoded.payload, decoded.clientFrame);
    return null;
  }

  // Streams end with a reason naming the agent's disconnection.
  private watch(session: AgentSession): void {
    if (this.watched.has(session)) return;
    this.watched.add(session);
    session.socket.once('close', (code: number, reason: Buffer) => {
      const why = reason.toString() || `close code ${code}`;
      for (const stream of [...this.streams.values()]) {
        if (stream.session !== session) continue;
        this.streams.delete(stream.id);
        stream.sink.error(
          'agent_disconnected',
          `the agent on ${session.hostname ?? 'the host'} disconnected (${why}); the process was ended`,
          true,
        );
      }
    });
  }
}
