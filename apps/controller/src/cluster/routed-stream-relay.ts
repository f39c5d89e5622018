import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { CONFIG } from '../repositories/tokens.js';
import { ConnectedHosts } from '../services/connected-hosts.js';
import { LocalStreamRelay } from '../services/local-stream-relay.js';
import type { StreamHandle, StreamOpenRequest, StreamRelay, StreamSink } from '../services/stream-relay.js';
import { RemoteStream } from './remote-stream.js';
import { ReplicaService } from './replica.service.js';
import { ReplicaSecret } from './replica-secret.service.js';
import { type ReplicaTlsOptions, replicaTlsOptions } from './replica-tls.js';

// The stream relay with several controller replicas: a host whose agent is connected here goes
// through LocalStreamRelay as before; one whose agent another live replica holds goes over an
// internal WebSocket to that replica (RemoteStream), which relays it to its agent; a host no
// replica holds gets the same host_offline as ever.
@Injectable()
export class RoutedStreamRelay implements StreamRelay {
  private readonly logger = new Logger('Streams');
  private readonly remote = new Set<RemoteStream>();
  private readonly tls: ReplicaTlsOptions;

  constructor(
    private readonly local: LocalStreamRelay,
    private readonly connected: ConnectedHosts,
    private readonly replicas: ReplicaService,
    private readonly secret: ReplicaSecret,
    @Inject(CONFIG) config: Config,
  ) {
    this.tls = replicaTlsOptions(config);
  }

  openCount(): number {
    return this.local.openCount() + this.remote.size;
  }

  open(request: StreamOpenRequest, sink: StreamSink): StreamHandle {
    if (this.connected.get(request.hostId)) return this.local.open(request, sink);
    // The lookup is asynchronous and open() is not: the handle keeps what the client sends until
    // the route is known (nothing but control frames can come before `started`).
    const stream: RemoteStream = new RemoteStream(request, sink, () => this.remote.delete(stream));
    this.remote.add(stream);
    this.route(request, stream).catch((error: Error) => {
      this.logger.error(`routing stream ${request.streamId} to host ${request.hostId}: ${error.message}`);
      stream.fail('internal', `the controller could not find where the host's agent is: ${error.message}`, true);
    });
    return stream.handle;
  }

  private async route(request: StreamOpenRequest, stream: RemoteStream): Promise<void> {
    const holder = await this.replicas.holderOf(request.hostId);
    if (stream.closed) return;
    // The agent may have connected here while we looked.
    if (!holder && this.connected.get(request.hostId)) {
      stream.attachLocal(this.local);
      return;
    }
    if (!holder) {
      stream.fail('host_offline', 'the host has no agent connected; wait for it to come back', true);
      return;
    }
    if (!holder.url) {
      const why = `controller replica ${holder.replicaId} holds the host's agent but has not published its URL yet`;
      stream.fail('host_offline', why, true);
      return;
    }
    stream.connect(holder, { authorization: this.secret.authorization() }, this.tls);
  }
}
