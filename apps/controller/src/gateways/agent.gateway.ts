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
import { AgentSession } from './agent-session.js';
import { CLOSE } from './close-codes.js';

export const AGENT_PATH = '/agent';

@WebSocketGateway({ path: AGENT_PATH })
export class AgentGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private readonly logger = new Logger(AgentGateway.name);
  private readonly sessions = new Map<WebSocket, AgentSession>();
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly service: AgentSessionService,
  ) {}

  afterInit(server: WebSocketServer): void {
    server.options.maxPayload = this.config.maxFrameBytes;
    this.pingTimer = setInterval(() => this.pingAll(), this.config.heartbeatIntervalMs);
    this.pingTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
  }

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    const session = new AgentSession(socket, request.socket.remoteAddress ?? 'unknown');
    this.sessions.set(socket, session);
    socket.on('message', (data: RawData, isBinary: boolean) => {
      session.lastHeardAt = Date.now();
      if (isBinary) {
        session.send(errorFrame('invalid_message', 'binary frames are not accepted; send JSON text'));
        return;
      }
      const text = rawToString(data);
      session.enqueue(() => this.handleFrame(session, text));
    });
    socket.on('pong', () => {
      session.lastHeardAt = Date.now();
    });
    const helloTimer = setTimeout(() => {
      if (!session.hostId) {
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
    if (session) this.service.disconnected(session);
  }

  private async handleFrame(session: AgentSession, text: string): Promise<void> {
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.logger.warn(`bad frame from ${session.label}: ${parsed.error.message}`);
      session.send(parsed.error);
      return;
    }
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

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
