import {
  type AgentMessage,
  type Delta,
  errorFrame,
  type Hello,
  HOST_STATUS,
  isCompatibleVersion,
  PROTOCOL_VERSION,
  type Snapshot,
} from '@corral/protocol';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CHANNEL, ClusterChannel } from '../cluster/cluster-channel.js';
import { ReplicaService } from '../cluster/replica.service.js';
import type { Config } from '../config/config.js';
import type { AgentSession } from '../gateways/agent-session.js';
import { CLOSE } from '../gateways/close-codes.js';
import {
  AgentConnectRepository,
  type HelloOutcome,
  type HelloWrite,
} from '../repositories/agent-connect.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import { HostRepository } from '../repositories/host.repository.js';
import { CLOCK, CONFIG } from '../repositories/tokens.js';
import { Batcher } from './batcher.js';
import { CommandDispatchService } from './command-dispatch.service.js';
import { ConnectedHosts } from './connected-hosts.js';
import { EventBus } from './event-bus.js';
import { HeartbeatRecorder } from './heartbeat-recorder.js';
import { HostIdentityService } from './host-identity.service.js';
import { InventoryService, SupersededConnectionError } from './inventory.service.js';
import { SchedulerIndexService } from './scheduler-index.service.js';
import { SnapshotAdmission } from './snapshot-admission.js';

// What a hello announces on the hosts channel: host, its new epoch, the replica holding it.
interface EpochNote {
  h: string;
  e: number;
  r: string;
}

// The agent protocol as the controller speaks it: hello -> welcome -> snapshot, then deltas and heartbeats.
@Injectable()
export class AgentSessionService {
  private readonly logger = new Logger(AgentSessionService.name);
  // Hellos arriving together are registered in one statement, at most one per credential.
  private readonly hellos: Batcher<HelloWrite, HelloOutcome>;
  private readonly admission: SnapshotAdmission;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly hosts: HostRepository,
    connectRepo: AgentConnectRepository,
    private readonly inventory: InventoryService,
    private readonly connected: ConnectedHosts,
    private readonly events: EventBus,
    private readonly commands: CommandDispatchService,
    private readonly heartbeats: HeartbeatRecorder,
    private readonly identity: HostIdentityService,
    private readonly scheduler: SchedulerIndexService,
    private readonly replica: ReplicaService,
    private readonly channel: ClusterChannel,
  ) {
    channel.listen(CHANNEL.hosts, (payload) => this.epochNoted(payload));
    this.hellos = new Batcher((writes) => connectRepo.registerHellos(writes, this.clock.now(), replica.id), {
      maxBatch: 500,
      concurrency: 2,
      keyOf: (w) => w.credentialId,
    });
    this.admission = new SnapshotAdmission(config.snapshotsInFlight);
  }

  async handle(session: AgentSession, message: AgentMessage): Promise<void> {
    if (message.type === 'error') {
      this.logger.warn(`agent ${session.label} reported ${message.code}: ${message.message}`);
      return;
    }
    if (message.type === 'hello') return this.hello(session, message);
    if (!session.hostId) {
      session.send(errorFrame('hello_required', `send hello before ${message.type}`, { inReplyTo: message.type }));
      return;
    }
    switch (message.type) {
      case 'snapshot':
        return this.snapshot(session, message);
      case 'delta':
        return this.delta(session, message);
      case 'heartbeat':
        this.heartbeats.record(session.hostId, message.load, this.clock.now());
        return;
      case 'command.accepted':
        return this.commands.accepted(session, message.id);
      case 'command.output':
        return this.commands.output(session, message.id, message.stream, message.chunk);
      case 'command.result':
        return this.commands.result(session, message);
    }
  }

  disconnected(session: AgentSession): void {
    this.releaseSnapshotPlace(session);
    if (!session.hostId) return;
    const hostId = session.hostId;
    if (this.connected.remove(hostId, session)) {
      this.logger.log(`agent ${session.label} disconnected`);
      // Last sign of life; the offline sweep takes it from here after the grace period.
      this.hosts.touch([hostId], this.clock.now()).catch((err: Error) => {
        this.logger.warn(`could not record last contact of ${session.label}: ${err.message}`);
      });
    }
  }

  private async hello(session: AgentSession, hello: Hello): Promise<void> {
    if (session.hostId) {
      session.send(
        errorFrame('duplicate_hello', 'hello was already received on this connection', { inReplyTo: 'hello' }),
      );
      return;
    }
    if (!isCompatibleVersion(hello.protocolVersion)) {
      session.send(
        errorFrame(
          'protocol_version_unsupported',
          `agent speaks protocol ${hello.protocolVersion}, controller speaks ${PROTOCOL_VERSION}; upgrade the older side`,
          { field: 'protocolVersion', inReplyTo: 'hello' },
        ),
      );
      session.close(CLOSE.protocolVersion, 'protocol version unsupported');
      return;
    }
    // The host is the credential's (checked again: it may have been revoked since the upgrade);
    // the hello only has to agree with it.
    const host = await this.hellos.submit({ credentialId: session.auth.credentialId, hello });
    if (host.result === 'revoked') {
      session.send(errorFrame('credential_mismatch', 'agent credential revoked', { inReplyTo: 'hello' }));
      session.close(CLOSE.revoked, 'credential revoked');
      return;
    }
    if (host.result === 'mismatch') {
      this.logger.warn(
        `hello from ${session.remoteAddress} claims agent ${hello.agentId} with the credential of ${host.hostname} (${host.hostId}); closing`,
      );
      session.send(
        errorFrame('credential_mismatch', 'credential belongs to another host', {
          field: 'agentId',
          inReplyTo: 'hello',
        }),
      );
      session.close(CLOSE.credentialMismatch, 'credential belongs to another host');
      return;
    }
    if (host.result === 'hostname-mismatch') return this.identity.refuseHello(session, hello, host);
    // The agent acked past what we hold only if our database lost writes: start over from a snapshot.
    const needSnapshot = host.isNew || host.lastSeq === 0 || hello.lastAckedSeq > host.lastSeq;
    // A new agent process (nothing acknowledged yet) sends a full snapshot whatever we say.
    if (needSnapshot || hello.lastAckedSeq === 0) {
      const release = await this.admission.acquire();
      if (session.socket.readyState !== session.socket.OPEN) {
        release();
        return;
      }
      session.releaseSnapshotPlace = release;
    }
    session.hostId = host.hostId;
    session.epoch = host.epoch;
    // The hello wrote the host's runtimes and agent labels.
    this.scheduler.hostChanged(host.hostId);
    session.agentId = hello.agentId;
    session.capabilities = hello.capabilities;
    session.hostname = hello.hostname;
    // A reconnect within the grace period never went offline, so it is no news.
    if (host.previousStatus !== HOST_STATUS.online) {
      this.events.publish({
        type: 'host-online',
        kind: 'host',
        hostId: host.hostId,
        data: {
          id: host.hostId,
          key: hello.agentId,
          name: hello.hostname,
          state: HOST_STATUS.online,
          previousState: host.previousStatus,
        },
      });
    }
    const previous = this.connected.set(host.hostId, session);
    if (previous && previous !== session) {
      this.logger.warn(`agent ${session.label} connected again; closing the older connection`);
      previous.close(CLOSE.replaced, 'replaced by a newer connection');
    }
    // A connection of this host that another replica still holds (a stale socket after a
    // partition) is closed there, and what it sends from now on is refused.
    void this.channel.notify(
      CHANNEL.hosts,
      JSON.stringify({ h: host.hostId, e: host.epoch, r: this.replica.id } satisfies EpochNote),
    );
    session.send({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      hostId: host.hostId,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      lastSeq: host.lastSeq,
      needSnapshot,
    });
    this.logger.log(`agent ${session.label} connected (lastSeq ${host.lastSeq}, needSnapshot ${needSnapshot})`);
    await this.commands.agentConnected(session);
  }

  private async snapshot(session: AgentSession, snapshot: Snapshot): Promise<void> {
    try {
      await this.inventory.applySnapshot(session.hostId!, snapshot, session.epoch);
    } catch (err) {
      if (err instanceof SupersededConnectionError) return this.superseded(session, 'snapshot');
      throw err;
    } finally {
      this.releaseSnapshotPlace(session);
    }
    session.send({ type: 'ack', seq: snapshot.seq });
  }

  // A hello raised a host's epoch somewhere: an older session of it held here is stale.
  private epochNoted(payload: string): void {
    let note: EpochNote;
    try {
      note = JSON.parse(payload) as EpochNote;
    } catch {
      this.logger.warn(`ignored a malformed note on ${CHANNEL.hosts}: ${payload.slice(0, 200)}`);
      return;
    }
    const session = this.connected.get(note.h);
    if (!session || session.epoch === null || session.epoch >= note.e) return;
    this.logger.warn(
      `agent ${session.label} connected again through replica ${note.r} (epoch ${note.e}); closing the older connection (epoch ${session.epoch})`,
    );
    this.connected.remove(note.h, session);
    session.close(CLOSE.superseded, 'superseded by a newer connection');
  }

  private superseded(session: AgentSession, what: string): void {
    this.logger.warn(`refused ${what} from ${session.label}: a newer connection of the host exists`);
    session.send(
      errorFrame('superseded', `a newer connection of this host exists; ${what} refused`, { inReplyTo: what }),
    );
    this.connected.remove(session.hostId!, session);
    session.close(CLOSE.superseded, 'superseded by a newer connection');
  }

  private releaseSnapshotPlace(session: AgentSession): void {
    session.releaseSnapshotPlace?.();
    session.releaseSnapshotPlace = null;
  }

  private async delta(session: AgentSession, delta: Delta): Promise<void> {
    // An agent that replays instead of sending a snapshot gives its place back with its first delta.
    this.releaseSnapshotPlace(session);
    let outcome: Awaited<ReturnType<InventoryService['applyDelta']>>;
    try {
      outcome = await this.inventory.applyDelta(session.hostId!, delta, session.epoch);
    } catch (err) {
      if (err instanceof SupersededConnectionError) return this.superseded(session, 'delta');
      throw err;
    }
    if (outcome.result === 'gap') {
      this.logger.warn(
        `gap from ${session.label}: got seq ${outcome.seq} after ${outcome.lastSeq}; asking for a snapshot`,
      );
      session.send({ type: 'snapshot.request', reason: `expected seq ${outcome.lastSeq + 1}, got ${outcome.seq}` });
      return;
    }
    session.send({ type: 'ack', seq: delta.seq });
  }
}
