import type { IncomingMessage } from 'node:http';
import { STREAM_CHUNK_BYTES } from '@corral/protocol';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket, WebSocketServer } from 'ws';
import {
  decodeStreamSubject,
  INTERNAL_STREAMS_PATH,
  STREAM_SUBJECT_HEADER,
  subjectOf,
} from '../cluster/internal-stream.js';
import { ReplicaSecret } from '../cluster/replica-secret.service.js';
import { LocalStreamRelay } from '../services/local-stream-relay.js';
import { ClientStream } from './client-stream.js';

type UpgradeRequest = IncomingMessage & { corralSubject?: ReturnType<typeof subjectOf>; corralStreamId?: string };
type VerifyDone = (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

// Streams another replica relays here because this one holds the host's agent: the upgrade must
// carry the replica secret (401 before the socket exists), then the socket speaks the client-socket
// protocol to this process's LocalStreamRelay. The replica that took the client's socket audits the
// stream and checks its token; this one does neither.
@WebSocketGateway({ path: INTERNAL_STREAMS_PATH })
export class InternalStreamGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger('Streams');
  private readonly open = new Set<ClientStream>();

  constructor(
    private readonly secret: ReplicaSecret,
    private readonly relay: LocalStreamRelay,
  ) {}

  afterInit(server: WebSocketServer): void {
    server.options.maxPayload = STREAM_CHUNK_BYTES + 1024;
    server.options.verifyClient = (info: { req: IncomingMessage }, done: VerifyDone) => {
      const req = info.req as UpgradeRequest;
      const json = { 'Content-Type': 'application/json' };
      if (!this.secret.matches(req.headers.authorization)) {
        this.logger.warn(`refused an internal stream from ${req.socket.remoteAddress}: no or wrong replica secret`);
        const body = { error: 'unauthorized', message: 'internal streams need the replica secret' };
        done(false, 401, JSON.stringify(body), { ...json, 'WWW-Authenticate': 'Bearer' });
        return;
      }
      const decoded = decodeStreamSubject(req.headers[STREAM_SUBJECT_HEADER]);
      if (!decoded.ok) {
        done(false, 400, JSON.stringify({ error: 'invalid_params', message: decoded.reason }), json);
        return;
      }
      req.corralSubject = subjectOf(decoded.subject);
      req.corralStreamId = decoded.subject.streamId;
      done(true);
    };
  }

  onModuleDestroy(): void {
    for (const stream of this.open) stream.end('shutting_down', 'a controller replica relaying the stream is stopping');
  }

  handleConnection(socket: WebSocket, req: UpgradeRequest): void {
    if (!req.corralSubject || !req.corralStreamId) {
      socket.terminate();
      return;
    }
    const stream = new ClientStream(
      socket,
      req.corralSubject,
      this.relay,
      () => this.open.delete(stream),
      req.corralStreamId,
    );
    this.open.add(stream);
  }
}
