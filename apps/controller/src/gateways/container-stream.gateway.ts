import type { IncomingMessage, Server } from 'node:http';
import { STREAM_CHUNK_BYTES } from '@corral/protocol';
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket, WebSocketServer } from 'ws';
import { toErrorReply } from '../controllers/http-exception.filter.js';
import type { Role } from '../dtos/auth.dto.js';
import { CommandRepository } from '../repositories/command.repository.js';
import { ApiTokenService } from '../services/api-token.service.js';
import { AuditService } from '../services/audit.service.js';
import { targetOf } from '../services/command.service.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../services/errors.js';
import { hasRole, type Principal } from '../services/principal.js';
import { ResourceResolver } from '../services/resource-resolver.js';
import { bearerToken } from '../services/secrets.js';
import { StreamAccessService, type StreamSession } from '../services/stream-access.service.js';
import { STREAM_RELAY, type StreamRelay } from '../services/stream-relay.js';
import { WebSessionService } from '../services/web-session.service.js';
import { ClientStream, type StreamSubject } from './client-stream.js';

// Nest's WsAdapter routes upgrades by exact path, so the container's paths are taken apart here
// first and handed to this gateway under one fixed path.
export const CONTAINER_STREAM_PATH = '/api/v1/internal/container-stream';
const ROUTE = /^\/api\/v1\/containers\/([^/]+)\/(exec|logs)\/stream$/;
const ROLE: Record<StreamSubject['kind'], Role> = { exec: 'operator', logs: 'viewer' };

interface StreamUpgrade {
  kind: StreamSubject['kind'];
  ref: string;
  subject?: StreamSubject;
  principal?: Principal;
  // Set when the web page's session cookie opened the stream: it ends with the session too.
  session?: StreamSession;
}
type UpgradeRequest = IncomingMessage & { corralStream?: StreamUpgrade };
type VerifyDone = (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

const actionOf = (kind: StreamSubject['kind']) => `STREAM /api/v1/containers/:id/${kind}/stream`;

// WebSockets of interactive exec and log follow: authenticated and resolved in the upgrade (a
// refusal is the API's own status and JSON error body), then one ClientStream per socket.
@WebSocketGateway({ path: CONTAINER_STREAM_PATH })
export class ContainerStreamGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger('Streams');
  private readonly open = new Set<ClientStream>();
  private httpServer: Server | null = null;
  private readonly rewrite = (req: UpgradeRequest) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = ROUTE.exec(url.pathname);
    if (!match) return;
    req.corralStream = { kind: match[2] as StreamSubject['kind'], ref: decodeURIComponent(match[1]!) };
    req.url = CONTAINER_STREAM_PATH;
  };

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: ApiTokenService,
    private readonly resolver: ResourceResolver,
    private readonly commands: CommandRepository,
    private readonly audit: AuditService,
    private readonly access: StreamAccessService,
    private readonly sessions: WebSessionService,
    @Inject(STREAM_RELAY) private readonly relay: StreamRelay,
  ) {}

  afterInit(server: WebSocketServer): void {
    this.httpServer = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.httpServer.prependListener('upgrade', this.rewrite);
    // A client frame is a control message or one chunk of stdin; nothing bigger is read.
    server.options.maxPayload = STREAM_CHUNK_BYTES + 1024;
    server.options.verifyClient = (info: { req: IncomingMessage }, done: VerifyDone) => {
      this.verify(info.req as UpgradeRequest).then(
        () => done(true),
        (error: unknown) => {
          const reply = toErrorReply(error);
          const headers: Record<string, string> = { 'Content-Type': 'application/json' };
          if (reply.status === 401) headers['WWW-Authenticate'] = 'Bearer';
          if (reply.status >= 500) this.logger.error(`stream upgrade failed: ${(error as Error).message}`);
          done(false, reply.status, JSON.stringify(reply.body), headers);
        },
      );
    };
  }

  onModuleDestroy(): void {
    this.httpServer?.off('upgrade', this.rewrite);
    for (const stream of this.open) stream.end('shutting_down', 'the controller is stopping');
  }

  handleConnection(socket: WebSocket, req: UpgradeRequest): void {
    const upgrade = req.corralStream;
    if (!upgrade?.subject) {
      socket.terminate();
      return;
    }
    const { subject, principal, session } = upgrade;
    const remoteAddr = req.socket.remoteAddress ?? null;
    let release = () => {};
    const stream = new ClientStream(socket, subject, this.relay, (end) => {
      this.open.delete(stream);
      release();
      void this.audit.record({
        principal,
        action: `${actionOf(subject.kind)} end`,
        targetKind: 'container',
        targetId: subject.containerId,
        outcome: end.outcome,
        detail: { hostId: subject.hostId, streamId: stream.streamId, ...end },
        remoteAddr,
      });
    });
    this.open.add(stream);
    release = this.access.open(principal, (reason) => stream.end('unauthorized', reason), session);
    void this.audit.record({
      principal,
      action: actionOf(subject.kind),
      targetKind: 'container',
      targetId: subject.containerId,
      outcome: 'ok',
      statusCode: 101,
      detail: { hostId: subject.hostId, streamId: stream.streamId },
      remoteAddr,
    });
  }

  // Same rules as the API: a bearer token (or the web page's session cookie, from the page's own
  // origin), operator for exec and viewer for logs, the container named as on every route. Throws
  // the domain error the refusal answers with.
  private async verify(req: UpgradeRequest): Promise<void> {
    const upgrade = req.corralStream;
    if (!upgrade) throw new NotFoundError('no such stream; use /api/v1/containers/{id}/exec/stream or .../logs/stream');
    const remoteAddr = req.socket.remoteAddress ?? null;
    const deny = async (error: UnauthorizedError | ForbiddenError, principal?: Principal) => {
      await this.audit.recordDenied({
        principal,
        action: actionOf(upgrade.kind),
        targetKind: 'container',
        targetId: upgrade.ref,
        outcome: 'denied',
        statusCode: error instanceof UnauthorizedError ? 401 : 403,
        detail: { reason: error.message },
        remoteAddr,
      });
      throw error;
    };
    const secret = bearerToken(req.headers.authorization);
    const cookie = secret ? null : await this.sessions.authenticateUpgrade({ method: 'GET', headers: req.headers });
    if (!secret && !cookie) return deny(new UnauthorizedError('send an API token as "Authorization: Bearer <token>"'));
    const check = cookie ?? (await this.tokens.authenticate(secret!));
    if (!check.ok) {
      const status = cookie && !cookie.ok ? cookie.status : 401;
      return deny(status === 403 ? new ForbiddenError(check.reason) : new UnauthorizedError(check.reason));
    }
    const needed = ROLE[upgrade.kind];
    if (!hasRole(check.principal, needed)) {
      const role = check.principal.kind === 'token' ? check.principal.role : check.principal.kind;
      return deny(new ForbiddenError(`this needs the ${needed} role; this token has ${role}`), check.principal);
    }
    const found = await this.resolver.resolve('container', upgrade.ref, 'id');
    const row = await this.commands.findTargetRow('container', found.id);
    if (row?.kind !== 'container') throw new NotFoundError(`no container with id ${found.id}`);
    upgrade.principal = check.principal;
    if (cookie?.ok) upgrade.session = cookie.session;
    upgrade.subject = {
      kind: upgrade.kind,
      containerId: found.id,
      name: found.name,
      hostId: row.hostId,
      hostname: found.hostname ?? row.hostId,
      target: targetOf(row) as StreamSubject['target'],
    };
  }
}
