import { HostIndex } from './host-index.js';
import { type Schedule, type ScheduleOptions, schedule } from './schedule.js';
import type { Demand, SchedulingHost } from './scheduler.types.js';

// A host as read from the database: what it is and what is counted on it (group members aside).
export type HostState = Omit<SchedulingHost, 'groupContainers' | 'placedHere' | 'policyRefusal'>;

// Members of each group per host id, for the hosts a read covered (absent: none).
export type GroupCounts = ReadonlyMap<string, ReadonlyMap<string, number>>;

const sameRecord = (a: object, b: object): boolean => {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const va = (a as Record<string, unknown>)[k];
    const vb = (b as Record<string, unknown>)[k];
    if (va !== null && vb !== null && typeof va === 'object' && typeof vb === 'object') {
      if (!sameRecord(va, vb)) return false;
    } else if (va !== vb) return false;
  }
  return true;
};

// What a host is, as opposed to what runs on it: a change here moves it between bands and views.
export function sameShape(a: HostState, b: HostState): boolean {
  return (
    a.hostname === b.hostname &&
    a.online === b.online &&
    a.cordoned === b.cordoned &&
    a.cordonReason === b.cordonReason &&
    a.memoryBytes === b.memoryBytes &&
    a.cpus === b.cpus &&
    sameRecord(a.runtimes, b.runtimes) &&
    sameRecord(a.labels, b.labels)
  );
}

const byName = (a: HostState, b: HostState) =>
  a.hostname !== b.hostname ? (a.hostname < b.hostname ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

function stateOf(host: SchedulingHost): HostState {
  const { groupContainers: _g, placedHere: _p, policyRefusal: _r, ...state } = host;
  return state;
}

// The scheduling index kept between requests: built once from every host, then fed the hosts read
// again after a change. Use (memory, CPUs, containers, group members) changes in place; a host
// added, removed or changed in what it is (online, cordon, labels, runtimes, facts) rebuilds the
// typed arrays from what the index holds, without reading the database.
export class LiveIndex {
  private index: HostIndex;
  private position = new Map<string, number>();
  private readonly loadedGroups = new Set<string>();
  private idList: string[] | null = null;
  private identityList: { id: string; hostname: string }[] | null = null;
  // Bumped by every rebuild: positions and the host set change then.
  generation = 0;

  constructor(hosts: readonly HostState[], groups: GroupCounts = new Map()) {
    this.index = this.build(hosts.slice().sort(byName), groups);
  }

  get size(): number {
    return this.index.size;
  }

  hosts(): HostState[] {
    return Array.from({ length: this.index.size }, (_, i) => stateOf(this.index.view(i, null)));
  }

  // Host ids and hostnames in index order, kept until the next rebuild.
  ids(): readonly string[] {
    this.idList ??= Array.from({ length: this.index.size }, (_, i) => this.index.hostAt(i).id);
    return this.idList;
  }

  identities(): readonly { id: string; hostname: string }[] {
    this.identityList ??= Array.from({ length: this.index.size }, (_, i) => {
      const h = this.index.hostAt(i);
      return { id: h.id, hostname: h.hostname };
    });
    return this.identityList;
  }

  has(hostId: string): boolean {
    return this.position.has(hostId);
  }

  hasGroup(group: string): boolean {
    return this.loadedGroups.has(group);
  }

  groupNames(): string[] {
    return [...this.loadedGroups];
  }

  // Replaces what the index knows of `group` with counts read for every host.
  setGroup(group: string, counts: ReadonlyMap<string, number>): void {
    this.loadedGroups.add(group);
    for (let i = 0; i < this.index.size; i++)
      this.index.setGroupCount(group, i, counts.get(this.index.hostAt(i).id) ?? 0);
  }

  dropGroup(group: string): void {
    this.loadedGroups.delete(group);
    this.index.dropGroup(group);
  }

  // Hosts read again (and hosts found gone): use in place, anything else by one rebuild. `groups`
  // holds the member counts of the groups read with them, for exactly these hosts.
  apply(rows: readonly HostState[], groups: GroupCounts, removed: readonly string[] = []): void {
    const reshaped: HostState[] = [];
    for (const row of rows) {
      const i = this.position.get(row.id);
      if (i === undefined || !sameShape(this.index.hostAt(i), row)) reshaped.push(row);
    }
    const gone = removed.filter((id) => this.position.has(id));
    if (reshaped.length > 0 || gone.length > 0) this.rebuild(reshaped, gone);
    for (const row of rows) {
      const i = this.position.get(row.id)!;
      this.index.setUse(i, row);
      for (const [group, counts] of groups) {
        if (this.loadedGroups.has(group)) this.index.setGroupCount(group, i, counts.get(row.id) ?? 0);
      }
    }
  }

  // Decides the request's replicas on the index as it stands. `refuse` turns hosts down for this
  // request only (the create policy): those decisions are made on a copy with the refusals applied.
  schedule(demand: Demand, options: ScheduleOptions, refuse?: (host: SchedulingHost) => SchedulingHost): Schedule {
    if (!refuse) return schedule(this.index, demand, options);
    const hosts = Array.from({ length: this.index.size }, (_, i) => refuse(this.index.view(i, demand.group)));
    return schedule(new HostIndex(hosts, demand.group), demand, options);
  }

  // One replica of `demand` counted on the host at `index` (a position in the decisions) until the
  // host is read again; returns the host's id.
  reserve(index: number, demand: Pick<Demand, 'memoryBytes' | 'cpus' | 'group'>): string {
    this.index.reserve(index, demand);
    return this.index.hostAt(index).id;
  }

  private rebuild(reshaped: readonly HostState[], gone: readonly string[]): void {
    const replaced = new Map(reshaped.map((h) => [h.id, h]));
    const drop = new Set(gone);
    const hosts: HostState[] = [];
    const groups = new Map<string, Map<string, number>>();
    for (const group of this.loadedGroups) groups.set(group, new Map());
    for (let i = 0; i < this.index.size; i++) {
      const id = this.index.hostAt(i).id;
      if (drop.has(id)) continue;
      for (const [group, counts] of groups) counts.set(id, this.index.groupCount(group, i));
      if (!replaced.has(id)) hosts.push(stateOf(this.index.view(i, null)));
    }
    hosts.push(...replaced.values());
    hosts.sort(byName);
    this.index = this.build(hosts, groups);
    this.generation++;
  }

  private build(hosts: readonly HostState[], groups: GroupCounts): HostIndex {
    const index = new HostIndex(hosts.map((h) => ({ ...h, groupContainers: 0, placedHere: 0 })));
    this.position = new Map(hosts.map((h, i) => [h.id, i]));
    this.idList = null;
    this.identityList = null;
    this.index = index;
    for (const [group, counts] of groups) this.setGroup(group, counts);
    return index;
  }
}
