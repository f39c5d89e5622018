import type { IncomingMessage } from 'node:http';
import { errorFrame, parseAgentMessage } from '@corral/protocol';
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config/config.js';
import { CONFIG } from '../repositories/tokens.js';
import { AgentSessionService } from '../services/agent-session.service.js';
import { AuditService } from '../services/audit.service.js';
import { ConnectedHosts } from '../services/connected-hosts.js';
import { HostAccessService } from '../services/host-access.service.js';
import { LocalStreamRelay } from '../services/local-stream-relay.js';
import { MetricsService } from '../services/metrics.service.js';
import { bearerToken } from '../services/secrets.js';
import { type AgentAuth, AgentSession } from './agent-session.js';
import { CLOSE } from './close-codes.js';
import { FrameGate } from './frame-gate.js';

export const AGENT_PATH = '/agent';

// Stream control frames start so (the agent writes `type` first); see handleStreamFrame.
const STREAM_FRAME_PREFIX = '{"type":"stream.';

// Frames waiting for their turn past which the socket is not read until the queue drains.
const QUEUE_HIGH = 256;
const QUEUE_LOW = 32;

type UpgradeRequest = IncomingMessage & { corralAgent?: AgentAuth };

interface VerifyInfo {
  req: IncomingMessage;
}

type VerifyDone = (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

@WebSocketGateway({ path: AGENT_PATH })
export class AgentGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private readonly logger = new Logger(AgentGateway.name);
  private readonly sessions = new Map<WebSocket, AgentSession>();
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly service: AgentSessionService,
    private readonly access: HostAccessService,
    private readonly connected: ConnectedHosts,
    private readonly audit: AuditService,
    private readonly streams: LocalStreamRelay,
    private readonly metrics: MetricsService,
  ) {}

  afterInit(server: WebSocketServer): void {
    server.options.maxPayload = this.config.maxFrameBytes;
    // The credential is checked before the upgrade completes: a refused agent gets a 401, never a frame.
    server.options.verifyClient = (info: VerifyInfo, done: VerifyDone) => {
      this.verify(info.req as UpgradeRequest).then(
        (refusal) =>
          refusal ? done(false, 401, refusal, { 'WWW-Authenticate': 'Bearer realm="corral-agent"' }) : done(true),
        (err: Error) => {
          this.logger.error(`agent credential check failed: ${err.message}`);
          done(false, 503, 'controller cannot check credentials right now');
        },
      );
    };
    this.pingTimer = setInterval(() => this.pingAll(), this.config.heartbeatIntervalMs);
    this.pingTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
  }

  handleConnection(socket: WebSocket, request: UpgradeRequest): void {
    const auth = request.corralAgent;
    if (!auth) {
      socket.terminate();
      return;
    }
    const session = new AgentSession(socket, request.socket.remoteAddress ?? 'unknown', auth);
    const gate = new FrameGate({
      framesPerSecond: this.config.agentFramesPerSecond,
      burst: this.config.agentFrameBurst,
      maxInvalid: this.config.agentMaxInvalidFrames,
    });
    this.sessions.set(socket, session);
    this.connected.track(session);
    let pausedUntil = 0;
    let queuePaused = false;
    // Reads again once both the rate pause has run out and the queue has drained, whichever is last.
    const resumeIfClear = () => {
      if (queuePaused || !socket.isPaused) return;
      const left = pausedUntil - Date.now();
      if (left > 0) {
        setTimeout(resumeIfClear, left).unref();
        return;
      }
      socket.resume();
    };
    socket.on('message', (data: RawData, isBinary: boolean) => {
      // Frames read after a close was decided are dropped.
      if (socket.readyState !== socket.OPEN) return;
      session.lastHeardAt = Date.now();
      // Stream frames skip the rate gate and the ordered queue: credits bound them, they touch no
      // database, and a keystroke must not wait behind a snapshot.
      if (isBinary) {
        this.metrics.binaryFrameReceived();
        const error = this.streams.agentData(session, rawToBytes(data));
        if (error) this.invalid(session, gate, error);
        return;
      }
      const text = rawToString(data);
      if (text.startsWith(STREAM_FRAME_PREFIX)) {
        this.handleStreamFrame(session, gate, text);
        return;
      }
      const wait = gate.take();
      if (wait < 0) {
        this.logger.warn(`agent ${session.label} sends frames far past the rate limit; closing`);
        session.send(errorFrame('rate_limited', 'too many frames; slow down and reconnect'));
        session.close(CLOSE.rateLimited, 'frame rate limit exceeded');
        return;
      }
      // Over the limit: this frame waits its turn (frames already read are spaced at the rate too),
      // and the socket is not read meanwhile, so the agent's own buffer fills and it slows down.
      const notBefore = wait > 0 ? Date.now() + wait : 0;
      if (wait > 0 && notBefore > pausedUntil) {
        pausedUntil = notBefore;
        socket.pause();
        setTimeout(resumeIfClear, wait).unref();
      }
      session.enqueue(async () => {
        const left = notBefore - Date.now();
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
        await this.handleFrame(session, gate, text);
        if (queuePaused && session.pending <= QUEUE_LOW) {
          queuePaused = false;
          resumeIfClear();
        }
      });
      if (session.pending > QUEUE_HIGH && !queuePaused) {
        queuePaused = true;
        socket.pause();
      }
    });
    socket.on('pong', () => {
      session.lastHeardAt = Date.now();
    });
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.logger.warn(
          `agent ${session.label} sent a frame over CORRAL_MAX_FRAME_BYTES (${this.config.maxFrameBytes}); closed with 1009`,
        );
      } else {
        this.logger.warn(`agent ${session.label}: ${err.message}; closing`);
      }
    });
    // A hello that arrived in time counts, however long registering it then takes.
    const helloTimer = setTimeout(() => {
      if (!session.helloArrived && !session.hostId) {
        session.send(errorFrame('hello_required', 'no hello within 30 s'));
        session.close(CLOSE.helloTimeout, 'hello timeout');
      }
    }, 30_000);
    helloTimer.unref();
    socket.once('close', () => clearTimeout(helloTimer));
  }

  handleDisconnect(socket: WebSocket): void {
    const session = this.sessions.get(socket);
    this.sessions.delete(socket);
    if (!session) return;
    this.connected.untrack(session);
    this.service.disconnected(session);
  }

  // Null when the upgrade may proceed; otherwise why it is refused.
  private async verify(req: UpgradeRequest): Promise<string | null> {
    const secret = bearerToken(req.headers.authorization);
    const remoteAddr = req.socket.remoteAddress ?? null;
    const refuse = async (reason: string) => {
      this.logger.warn(`agent connection from ${remoteAddr ?? 'unknown'} refused: ${reason}`);
      await this.audit.recordDenied({
        action: 'CONNECT /agent',
        outcome: 'denied',
        statusCode: 401,
        detail: { reason },
        remoteAddr,
      });
      return reason;
    };
    if (!secret) return refuse('agent credential required (enroll with CORRAL_ENROLLMENT_TOKEN)');
    const auth = await this.access.authenticate(secret);
    if (!auth) return refuse('invalid or revoked agent credential');
    req.corralAgent = auth;
    return null;
  }

  private invalid(session: AgentSession, gate: FrameGate, error: ReturnType<typeof errorFrame>): void {
    this.metrics.invalidFrameReceived();
    session.send(error);
    if (gate.invalidFrame()) {
      this.logger.warn(`agent ${session.label} sent too many invalid frames; closing`);
      session.send(errorFrame('too_many_invalid_frames', 'too many invalid frames; fix the agent and reconnect'));
      session.close(CLOSE.tooManyInvalidFrames, 'too many invalid frames');
    }
  }

  private async handleFrame(session: AgentSession, gate: FrameGate, text: string): Promise<void> {
    if (session.socket.readyState !== session.socket.OPEN) return;
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.logger.warn(`bad frame from ${session.label}: ${parsed.error.message}`);
      this.invalid(session, gate, parsed.error);
      return;
    }
    this.metrics.frameReceived(parsed.message.type);
    if (parsed.message.type === 'hello') session.helloArrived = true;
    try {
      await this.service.handle(session, parsed.message);
    } catch (err) {
      // The database or a bug: tell the agent it may retry, and drop the link so it resends
      // everything unacknowledged once it reconnects.
      this.logger.error(`failed to handle ${parsed.message.type} from ${session.label}: ${(err as Error).message}`);
      session.send(
        errorFrame('unavailable', `controller could not process ${parsed.message.type}; reconnect and retry`),
      );
      session.close(CLOSE.internal, 'internal error');
    }
  }

  private handleStreamFrame(session: AgentSession, gate: FrameGate, text: string): void {
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.invalid(session, gate, parsed.error);
      return;
    }
    const message = parsed.message;
    this.metrics.frameReceived(message.type);
    if (!message.type.startsWith('stream.')) {
      this.invalid(session, gate, errorFrame('invalid_message', `${message.type} is not a stream frame`));
      return;
    }
    this.streams.agentFrame(session, message as Parameters<LocalStreamRelay['agentFrame']>[1]);
  }

  private pingAll(): void {
    const deadline = Date.now() - this.config.heartbeatIntervalMs * 3;
    for (const session of this.sessions.values()) {
      if (session.lastHeardAt < deadline) {
        this.logger.warn(`no heartbeat from ${session.label}; closing`);
        session.socket.terminate();
        continue;
      }
      if (session.socket.readyState === session.socket.OPEN) session.socket.ping();
    }
  }
}

function rawToBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
