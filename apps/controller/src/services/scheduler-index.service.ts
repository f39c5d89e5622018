import type { RuntimeName, RuntimeStatus } from '@corral/protocol';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EventLog } from '../cluster/event-log.js';
import { LeaderLease } from '../cluster/leader-lease.js';
import { type HostCapacityRow, SchedulingRepository } from '../repositories/scheduling.repository.js';
import { FINAL_STATUSES } from './command-states.js';
import { type CorralEvent, EventBus } from './event-bus.js';
import { effectiveLabels } from './host-labels.js';
import { type GroupCounts, type HostState, LiveIndex } from './scheduler/live-index.js';
import { ReservationLedger } from './scheduler/reservation-ledger.js';
import type { Demand, RuntimeAvailability } from './scheduler/scheduler.types.js';

// Every host is read again this often, for changes no event of this process told of.
export const RECONCILE_MS = 30_000;

export function toHostState(row: HostCapacityRow): HostState {
  const runtimes: Partial<Record<RuntimeName, RuntimeAvailability>> = {};
  for (const r of (row.runtimes ?? []) as RuntimeStatus[])
    runtimes[r.name] = { available: r.available, reason: r.reason };
  return {
    id: row.id,
    hostname: row.hostname,
    online: row.status === 'online',
    cordoned: row.cordoned,
    cordonReason: row.cordonReason,
    runtimes,
    labels: effectiveLabels(row),
    memoryBytes: row.memoryBytes,
    cpus: row.cpus,
    memoryUsedBytes: row.memoryUsedBytes,
    cpusUsed: row.cpusUsed,
    containers: row.containers,
  };
}

// Command events that change what a host holds: a create announced (pending, or sent when it went
// out at once), unless a reservation of this process wrote it, and a create ending. Running changes
// nothing: an open create counts the same whatever its status.
const ANNOUNCED = new Set(['command-pending', 'command-sent']);
const ENDED = new Set(FINAL_STATUSES.map((s) => `command-${s}`));

// Replicas a placement has counted on the index until its rows are committed (or have failed).
export interface Reservation {
  hostIds: string[];
  commit(commandIds: readonly string[]): void;
  abort(): void;
}

// The scheduling index of this controller: loaded from Postgres on the first placement, then kept
// current from the changes the controller sees. A change marks its host dirty (event bus: hosts
// online/offline, containers created/removed, container.create commands announced or ended; direct
// calls for labels, cordon, hello, facts, deletion); dirty hosts are read again before the next
// decision. Decisions and their reservations are synchronous, so two placements never see the same
// free capacity; the reservation ledger keeps a read from replacing reservations it cannot have seen.
@Injectable()
export class SchedulerIndexService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Scheduler');
  private live: LiveIndex | null = null;
  private loading: Promise<LiveIndex> | null = null;
  private refreshing: Promise<void> | null = null;
  private catchingUp: Promise<void> | null = null;
  private readonly groupLoads = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly ledger = new ReservationLedger();
  private readonly unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  // Full loads and reads of some hosts this index made (tests check the index is not rebuilt per request).
  loads = 0;
  reads = 0;

  constructor(
    private readonly repo: SchedulingRepository,
    private readonly events: EventBus,
    private readonly log: EventLog,
    private readonly lease: LeaderLease,
  ) {}

  onModuleInit(): void {
    // This process's changes at once; those other replicas ingested as their batches reach the log.
    this.unsubscribe.push(
      this.events.subscribe((e) => this.onEvent(e)),
      this.log.subscribeForeign((e) => this.onEvent(e)),
      // Placements are decided by the lease holder (PlacementRouter): one taking the lease over
      // reads every host again before its first decision, for what the previous holder placed.
      this.lease.watch((held) => {
        if (held) this.catchUp();
      }),
    );
    this.timer = setInterval(() => {
      this.reconcile().catch((err: Error) => this.logger.warn(`scheduling index reconcile failed: ${err.message}`));
    }, RECONCILE_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer) clearInterval(this.timer);
  }

  // A change the event bus does not carry (labels, cordon, hello, facts, a host deleted): the host
  // is read again before the next decision.
  hostChanged(hostId: string): void {
    // Kept before the first load too: a change during the load's read may be missing from it.
    this.dirty.add(hostId);
  }

  // The index with every change seen so far read in, and the members of `group` loaded.
  async settled(group: string | null): Promise<LiveIndex> {
    if (this.catchingUp) await this.catchingUp;
    if (!this.live) await this.load();
    if (group !== null && !this.live!.hasGroup(group)) await this.loadGroup(group);
    if (this.dirty.size > 0) await this.refresh();
    return this.live!;
  }

  // Counts replicas of `demand` on the hosts at these positions of the current index. Synchronous,
  // with the decision that chose them: no other placement runs in between.
  reserve(positions: readonly number[], demand: Pick<Demand, 'memoryBytes' | 'cpus' | 'group'>): Reservation {
    const live = this.live!;
    const hostIds = positions.map((i) => live.reserve(i, demand));
    this.ledger.begin(hostIds);
    let done = false;
    return {
      hostIds,
      commit: (commandIds) => {
        if (done) return;
        done = true;
        this.ledger.settle(hostIds, commandIds);
      },
      abort: () => {
        if (done) return;
        done = true;
        this.ledger.settle(hostIds);
        // The reservation stays counted until the hosts are read again.
        for (const id of hostIds) this.dirty.add(id);
      },
    };
  }

  // Reads every host again (and every loaded group); runs every RECONCILE_MS.
  async reconcile(): Promise<void> {
    const live = this.live;
    if (!live) return;
    const mark = this.ledger.mark();
    const rows = await this.read(null, live.groupNames());
    const found = new Set(rows.hosts.map((h) => h.id));
    const gone = live.ids().filter((id) => !found.has(id));
    this.apply(mark, rows.hosts, rows.groups, gone);
  }

  private catchUp(): void {
    // Not loaded yet: the first decision loads every host.
    if (!this.live) return;
    const run: Promise<void> = this.reconcile()
      .catch((err: Error) => this.logger.warn(`scheduling index catch-up failed: ${err.message}`))
      .finally(() => {
        if (this.catchingUp === run) this.catchingUp = null;
      });
    this.catchingUp = run;
  }

  private onEvent(e: CorralEvent): void {
    if (e.hostId === null) return;
    switch (e.kind) {
      case 'host':
        this.dirty.add(e.hostId);
        return;
      case 'container':
        if (e.type === 'container-created' || e.type === 'container-removed') this.dirty.add(e.hostId);
        return;
      case 'command': {
        const data = e.data as { id?: string; op?: string };
        if (data.op !== 'container.create' || !data.id) return;
        if (ANNOUNCED.has(e.type)) {
          if (!this.ledger.wrote(data.id)) this.dirty.add(e.hostId);
        } else if (ENDED.has(e.type)) {
          this.ledger.ended(data.id);
          this.dirty.add(e.hostId);
        }
        return;
      }
      default:
        return;
    }
  }

  private load(): Promise<LiveIndex> {
    this.loading ??= (async () => {
      try {
        this.dirty.clear();
        const started = performance.now();
        this.loads++;
        const { hosts } = await this.read(null, []);
        this.live = new LiveIndex(hosts);
        this.logger.log(
          `scheduling index loaded: ${hosts.length} hosts in ${(performance.now() - started).toFixed(0)} ms`,
        );
        return this.live;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  private loadGroup(group: string): Promise<void> {
    let load = this.groupLoads.get(group);
    if (!load) {
      load = (async () => {
        try {
          this.reads++;
          const rows = await this.repo.groupCounts([group], null);
          // No reservation of the group can be open: each waits for this load first.
          this.live!.setGroup(group, new Map(rows.map((r) => [r.hostId, r.n])));
        } finally {
          this.groupLoads.delete(group);
        }
      })();
      this.groupLoads.set(group, load);
    }
    return load;
  }

  // One read of the dirty hosts at a time; a placement arriving meanwhile waits for it and then
  // reads what became dirty since, if anything.
  private async refresh(): Promise<void> {
    if (this.refreshing) await this.refreshing;
    if (this.dirty.size === 0) return;
    this.refreshing ??= (async () => {
      try {
        const ids = [...this.dirty];
        this.dirty.clear();
        const mark = this.ledger.mark();
        const rows = await this.read(ids, this.live!.groupNames());
        const found = new Set(rows.hosts.map((h) => h.id));
        this.apply(
          mark,
          rows.hosts,
          rows.groups,
          ids.filter((id) => !found.has(id)),
        );
      } finally {
        this.refreshing = null;
      }
    })();
    await this.refreshing;
  }

  // Hosts (all when `hostIds` is null) and the members of `groups` on them.
  private async read(
    hostIds: string[] | null,
    groups: string[],
  ): Promise<{ hosts: HostState[]; groups: Map<string, Map<string, number>> }> {
    this.reads++;
    const [rows, counts] = await Promise.all([
      this.repo.hostCapacities(hostIds),
      this.repo.groupCounts(groups, hostIds),
    ]);
    const byGroup = new Map<string, Map<string, number>>(groups.map((g) => [g, new Map()]));
    for (const c of counts) byGroup.get(c.group)?.set(c.hostId, c.n);
    return { hosts: rows.map(toHostState), groups: byGroup };
  }

  // What a read found, for the hosts the ledger lets it replace; the others are read again later.
  private apply(mark: number, hosts: HostState[], groups: GroupCounts, gone: string[]): void {
    const live = this.live!;
    const take = (id: string) => {
      if (this.ledger.mayApply(id, mark)) {
        this.ledger.applied(id, mark);
        return true;
      }
      this.dirty.add(id);
      return false;
    };
    const fresh = hosts.filter((h) => take(h.id));
    const removed = gone.filter((id) => live.has(id) && take(id));
    if (fresh.length > 0 || removed.length > 0) live.apply(fresh, groups, removed);
  }
}
