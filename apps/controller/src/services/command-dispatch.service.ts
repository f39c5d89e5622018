import type { CommandMessage, CommandResultMessage } from '@corral/protocol';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CHANNEL, ClusterChannel, packNotes } from '../cluster/cluster-channel.js';
import { LeaderLease } from '../cluster/leader-lease.js';
import { ReplicaService } from '../cluster/replica.service.js';
import type { AgentSession } from '../gateways/agent-session.js';
import type { Clock } from '../repositories/clock.repository.js';
import {
  CommandRepository,
  type CommandRow,
  type InsertNote,
  type NewCommand,
} from '../repositories/command.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { Batcher } from './batcher.js';
import { CommandLifecycle } from './command-lifecycle.js';
import { FINAL_NOTE_START } from './command-notifier.js';
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

// The frame a `frame` note carries, or null when it was too large to carry one (the holder reads the row).
export function noteFrame(note: Extract<CommandNote, { a: 'frame' }>): CommandMessage | null {
  if (note.o === undefined || typeof note.d !== 'string') return null;
  return {
    type: 'command',
    id: note.c,
    op: note.o as CommandMessage['op'],
    target: note.t as CommandMessage['target'],
    params: (note.p ?? {}) as Record<string, unknown>,
    deadline: note.d,
  };
}

// What replicas tell each other about commands on the commands channel. `send`: a pending command
// for the host (its holder writes pending -> sent and sends it); `frame`: a command written as sent
// for a host another replica holds, with its frame when that fits in a notification (o, t, p, d:
// op, target, params, deadline), else read by the holder; `cancel`; `final`: commands that ended.
export type CommandNote =
  | { h: string; c: string; a: 'send' | 'cancel' }
  | { a: 'notes'; n: { h: string; c: string; a: 'send' | 'cancel' }[] }
  | { h: string; c: string; a: 'frame'; o?: string; t?: unknown; p?: unknown; d?: string }
  | { a: 'final'; ids: string[] };

// A notification holds at most 8,000 bytes; a frame note longer than this goes without its frame.
const FRAME_NOTE_MAX_BYTES = 7_500;

// Send and cancel notes as few notifications: `{a: "notes", n: [...]}` of at most 7,500 bytes each.
export function noteBatches(notes: readonly { h: string; c: string; a: 'send' | 'cancel' }[]): string[] {
  return packNotes(
    notes.map((note) => JSON.stringify(note)),
    (part) => Buffer.byteLength(part) + 1,
    (note) => `{"a":"notes","n":[${note.join(',')}]}`,
    { maxBytes: FRAME_NOTE_MAX_BYTES - 30 },
  );
}

// How a new command is written: sent (its frame leaves from this replica right after, or from the
// replica holding its host, told by the note that commits with it) or pending.
export interface CreateRoute {
  sendNow: boolean;
  note?: InsertNote;
}

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
    private readonly replica: ReplicaService,
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

  // `holder`: the replica the host's row says holds its agent while online. A host connected here
  // is sent to at once; one online on another replica is written as sent with a note to that
  // replica, which forwards the frame without a write of its own (if the note misses the agent, the
  // agent's next welcome sends every sent command again, and the agent's journal answers a repeat);
  // any other command waits pending.
  routeFor(
    command: Pick<NewCommand, 'hostId' | 'op' | 'target' | 'params' | 'deadline'>,
    holder: string | null,
  ): CreateRoute {
    if (this.isConnected(command.hostId)) return { sendNow: true };
    if (holder === null || holder === this.replica.id) return { sendNow: false };
    return {
      sendNow: true,
      note: {
        channel: CHANNEL.commands,
        payload: (id) => {
          const full = JSON.stringify({
            a: 'frame',
            h: command.hostId,
            c: id,
            o: command.op,
            t: command.target,
            p: command.params,
            d: command.deadline.toISOString(),
          } satisfies CommandNote);
          if (Buffer.byteLength(full) <= FRAME_NOTE_MAX_BYTES) return full;
          return JSON.stringify({ a: 'frame', h: command.hostId, c: id } satisfies CommandNote);
        },
      },
    };
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

  // Send and cancel notes made in one tick go out together (`{a: "notes", n: [...]}`, as many as
  // fit in a notification): many placements at once make one notification, not one each.
  private note(note: Extract<CommandNote, { a: 'send' | 'cancel' }>): Promise<void> {
    this.pendingNotes.push(note);
    this.notesFlushed ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        const notes = this.pendingNotes;
        this.pendingNotes = [];
        this.notesFlushed = null;
        Promise.all(noteBatches(notes).map((payload) => this.channel.notify(CHANNEL.commands, payload))).then(
          () => resolve(),
          () => resolve(),
        );
      });
    });
    return this.notesFlushed;
  }

  private pendingNotes: Extract<CommandNote, { a: 'send' | 'cancel' }>[] = [];
  private notesFlushed: Promise<void> | null = null;

  // Another replica (or this one) announced a command for a host: the replica holding the host's
  // agent sends it, or its cancel. Anything else is no business of this replica.
  private noted(payload: string): void {
    // Ended commands are the notifier's; their notes are the longest, and not parsed here.
    if (payload.startsWith(FINAL_NOTE_START)) return;
    let note: CommandNote;
    try {
      note = JSON.parse(payload) as CommandNote;
    } catch {
      this.logger.warn(`ignored a malformed note on ${CHANNEL.commands}: ${payload.slice(0, 200)}`);
      return;
    }
    if (note.a === 'final') return;
    if (note.a === 'notes') {
      if (!Array.isArray(note.n)) return;
      for (const one of note.n) if (one && (one.a === 'send' || one.a === 'cancel')) this.handle(one);
      return;
    }
    this.handle(note);
  }

  private handle(note: Exclude<CommandNote, { a: 'final' } | { a: 'notes' }>): void {
    const session = this.connected.get(note.h);
    if (!session) return;
    if (note.a === 'cancel') {
      session.send({ type: 'command.cancel', id: note.c });
      return;
    }
    if (note.a === 'frame') {
      this.forward(session, note).catch((err: Error) =>
        this.logger.warn(`could not send command ${note.c} to ${session.label}: ${err.message}`),
      );
      return;
    }
    this.sendNoted(session, note.c).catch((err: Error) =>
      this.logger.warn(`could not send command ${note.c} to ${session.label}: ${err.message}`),
    );
  }

  // A command another replica wrote as sent for this host: its frame goes out as the note carries
  // it, or as the row says when the note could not hold it (and only while the command is open).
  private async forward(session: AgentSession, note: Extract<CommandNote, { a: 'frame' }>): Promise<void> {
    const carried = noteFrame(note);
    if (carried) {
      session.send(await this.withFrameParams(carried));
      return;
    }
    const row = await this.repo.findById(note.c);
    if (row && row.hostId === session.hostId && (row.status === 'sent' || row.status === 'running')) {
      session.send(await this.frame(row));
    }
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
  private frame(row: CommandRow): Promise<CommandMessage> {
    return this.withFrameParams(commandFrame(row));
  }

  // The params as the agent gets them (a registry's credentials added where the op needs them).
  private async withFrameParams(frame: CommandMessage): Promise<CommandMessage> {
    return { ...frame, params: await this.registries.frameParams(frame.op, frame.params) };
  }
}
