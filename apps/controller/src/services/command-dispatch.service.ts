import type { CommandMessage, CommandResultMessage } from '@corral/protocol';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CHANNEL, ClusterChannel } from '../cluster/cluster-channel.js';
import { LeaderLease } from '../cluster/leader-lease.js';
import type { AgentSession } from '../gateways/agent-session.js';
import type { Clock } from '../repositories/clock.repository.js';
import { CommandRepository, type CommandRow } from '../repositories/command.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { Batcher } from './batcher.js';
import { CommandLifecycle } from './command-lifecycle.js';
import { ConnectedHosts } from './connected-hosts.js';
import { RegistryService } from './registry.service.js';

export const SWEEP_INTERVAL_MS = 1_000;

export function commandFrame(row: CommandRow): CommandMessage {
  return {
    type: 'command',
    id: row.id,
    op: row.op as CommandMessage['op'],
    target: row.target as CommandMessage['target'],
    params: row.params as Record<string, unknown>,
    deadline: row.deadline.toISOString(),
  };
}

// What replicas tell each other about commands on the commands channel.
export type CommandNote = { h: string; c: string; a: 'send' | 'cancel' } | { a: 'final'; ids: string[] };

// The agent side of commands: frames to the agents' sockets, redelivery on reconnect, the agents'
// answers handed to the lifecycle, and the deadline sweep. Status changes are CommandLifecycle's.
// With several replicas, a command for a host whose agent another replica holds is announced on the
// commands channel; the replica holding it sends it (a pending command goes out once: the send is a
// conditional pending -> sent write). The deadline sweep runs on the replica holding the lease.
@Injectable()
export class CommandDispatchService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CommandDispatchService.name);
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;
  // Hosts connecting together have their open commands looked up in one query.
  private readonly open: Batcher<string, CommandRow[]>;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: CommandRepository,
    private readonly connected: ConnectedHosts,
    private readonly lifecycle: CommandLifecycle,
    private readonly registries: RegistryService,
    private readonly channel: ClusterChannel,
    private readonly lease: LeaderLease,
  ) {
    channel.listen(CHANNEL.commands, (payload) => this.noted(payload));
    this.open = new Batcher(
      async (hostIds) => {
        const rows = await this.repo.openForHosts(hostIds, this.clock.now());
        const byHost = new Map<string, CommandRow[]>();
        for (const row of rows) byHost.set(row.hostId, [...(byHost.get(row.hostId) ?? []), row]);
        return hostIds.map((id) => byHost.get(id) ?? []);
      },
      { maxBatch: 500, concurrency: 2 },
    );
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: Error) => this.logger.warn(`command deadline sweep failed: ${err.message}`));
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  isConnected(hostId: string): boolean {
    return this.connected.get(hostId) !== undefined;
  }

  // Sends a new command when its host is connected; otherwise it waits for the host's next hello.
  // One created as sent already (its host was connected then) needs only its frame.
  async dispatch(row: CommandRow): Promise<CommandRow> {
    const session = this.connected.get(row.hostId);
    if (!session) {
      if (row.status === 'pending') await this.note({ h: row.hostId, c: row.id, a: 'send' });
      return row;
    }
    if (row.status === 'sent') {
      session.send(await this.frame(row));
      return row;
    }
    return (await this.send(session, row)) ?? row;
  }

  // After welcome: every pending command goes out, and every sent or running one again, since the
  // agent journals ids and answers a repeat from its journal. One with a cancel asked for only gets
  // the cancel: if the agent never saw it, it never runs, and the sweeper ends it at its deadline.
  async agentConnected(session: AgentSession): Promise<void> {
    const hostId = session.hostId!;
    const open = await this.open.submit(hostId);
    for (const row of open) {
      if (row.cancelRequestedAt) {
        session.send({ type: 'command.cancel', id: row.id });
      } else if (row.status === 'pending') {
        await this.send(session, row);
      } else {
        session.send(await this.frame(row));
      }
    }
    if (open.length > 0) {
      this.logger.log({
        msg: `delivered ${open.length} open command(s) to ${session.label}`,
        hostId,
        commands: open.length,
      });
    }
  }

  accepted(session: AgentSession, id: string): Promise<void> {
    return this.lifecycle.accepted(session.hostId!, id);
  }

  output(session: AgentSession, id: string, stream: 'stdout' | 'stderr', chunk: string): Promise<void> {
    return this.lifecycle.output(session.hostId!, id, stream, chunk);
  }

  async result(session: AgentSession, message: CommandResultMessage): Promise<void> {
    // Already final (timed out, canceled) or not this host's: the first word stands.
    if (!(await this.lifecycle.finished(session.hostId!, message))) {
      this.logger.debug({
        msg: `ignored result for command ${message.id} from ${session.label}`,
        commandId: message.id,
        hostId: session.hostId,
      });
    }
  }

  // Ends open commands past their deadline and tells the agent to stop any it holds.
  async sweep(): Promise<CommandRow[]> {
    if (this.sweeping || !this.lease.holds()) return [];
    this.sweeping = true;
    try {
      const expired = await this.lifecycle.expire();
      for (const { row, previousStatus } of expired) {
        if (previousStatus !== 'pending') this.sendCancel(row);
      }
      return expired.map((e) => e.row);
    } finally {
      this.sweeping = false;
    }
  }

  // A cancel for a command the agent holds: the agent's result, or the deadline, ends it.
  sendCancel(row: CommandRow): void {
    const session = this.connected.get(row.hostId);
    if (session) session.send({ type: 'command.cancel', id: row.id });
    else void this.note({ h: row.hostId, c: row.id, a: 'cancel' });
  }

  private note(note: CommandNote): Promise<void> {
    return this.channel.notify(CHANNEL.commands, JSON.stringify(note));
  }

  // Another replica (or this one) announced a command for a host: the replica holding the host's
  // agent sends it, or its cancel. Anything else is no business of this replica.
  private noted(payload: string): void {
    let note: CommandNote;
    try {
      note = JSON.parse(payload) as CommandNote;
    } catch {
      this.logger.warn(`ignored a malformed note on ${CHANNEL.commands}: ${payload.slice(0, 200)}`);
      return;
    }
    if (note.a === 'final') return;
    const session = this.connected.get(note.h);
    if (!session) return;
    if (note.a === 'cancel') {
      session.send({ type: 'command.cancel', id: note.c });
      return;
    }
    this.sendNoted(session, note.c).catch((err: Error) =>
      this.logger.warn(`could not send command ${note.c} to ${session.label}: ${err.message}`),
    );
  }

  // One conditional write: a command sent already (by the welcome's redelivery, or a note seen
  // twice) or not this host's changes nothing, and nothing goes out.
  private async sendNoted(session: AgentSession, id: string): Promise<void> {
    const sent = await this.lifecycle.send({ id, hostId: session.hostId! });
    if (sent) session.send(await this.frame(sent));
  }

  // Marks the command sent before the frame leaves, so an accepted that comes back at once finds it sent.
  private async send(session: AgentSession, row: CommandRow): Promise<CommandRow | null> {
    const sent = await this.lifecycle.send(row);
    if (sent) {
      session.send(await this.frame(sent));
      this.logger.debug({
        msg: `sent ${sent.op} to ${session.label}`,
        commandId: sent.id,
        hostId: sent.hostId,
        op: sent.op,
      });
    }
    return sent;
  }

  // The frame as it leaves: a pull gets its registry's credential here, and only here (the stored
  // command never holds it).
  private async frame(row: CommandRow): Promise<ReturnType<typeof commandFrame>> {
    const frame = commandFrame(row);
    return { ...frame, params: await this.registries.frameParams(frame.op, frame.params) };
  }
}
