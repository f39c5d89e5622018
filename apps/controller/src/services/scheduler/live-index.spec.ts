import { describe, expect, it } from 'vitest';
import {
  chance,
  pick,
  prng,
  type Random,
  randomDemand,
  randomFleet,
} from '../../../../../test/support/scheduler/random-fleet.js';
import { referenceSchedule, withReplica } from '../../../../../test/support/scheduler/reference.js';
import { withPolicyRefusal } from '../create-policy.service.js';
import { HostIndex } from './host-index.js';
import { type HostState, LiveIndex, sameShape } from './live-index.js';
import { schedule } from './schedule.js';
import { GiB, MiB } from './scheduler.fixture.js';
import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';

const GROUPS = ['g', 'h'];

// What the database would hold: every host, and the members of each group per host.
interface Truth {
  hosts: Map<string, HostState>;
  groups: Map<string, Map<string, number>>;
}

const stateOf = (h: SchedulingHost): HostState => {
  const { groupContainers: _g, placedHere: _p, policyRefusal: _r, ...state } = h;
  return state;
};

const byName = (a: { hostname: string; id: string }, b: { hostname: string; id: string }) =>
  a.hostname !== b.hostname ? (a.hostname < b.hostname ? -1 : 1) : a.id < b.id ? -1 : 1;

// The fleet as a request for `group` sees it, in (hostname, id) order.
function fleetOf(truth: Truth, group: string | null): SchedulingHost[] {
  return [...truth.hosts.values()]
    .map((h) => ({ ...h, groupContainers: group ? (truth.groups.get(group)?.get(h.id) ?? 0) : 0, placedHere: 0 }))
    .sort(byName);
}

const countsFor = (truth: Truth, ids: readonly string[]) =>
  new Map(
    GROUPS.map((g) => [g, new Map(ids.map((id) => [id, truth.groups.get(g)!.get(id) ?? 0] as [string, number]))]),
  );

let nextHost = 100_000;

// One change as ingest would bring it: its hosts read again, as the service would hand them over.
function change(random: Random, truth: Truth, live: LiveIndex): string {
  const ids = [...truth.hosts.keys()];
  const some = () => ids.filter(() => chance(random, 0.15)).slice(0, 12);
  const kind = pick(random, ['use', 'use', 'use', 'shape', 'add', 'remove', 'group', 'nothing'] as const);
  let touched: string[] = [];
  let removed: string[] = [];
  switch (kind) {
    case 'use':
      touched = some();
      for (const id of touched) {
        const h = truth.hosts.get(id)!;
        truth.hosts.set(id, {
          ...h,
          memoryUsedBytes: chance(random, 0.3) ? 0 : Math.floor(random() * 24) * 256 * MiB,
          cpusUsed: pick(random, [0, 0.25, 1, 2.3, 6]),
          containers: Math.floor(random() * 5),
        });
      }
      break;
    case 'shape':
      touched = some();
      for (const id of touched) {
        const h = truth.hosts.get(id)!;
        const lxc = chance(random, 0.7);
        truth.hosts.set(id, {
          ...h,
          online: chance(random, 0.85) ? !h.online || chance(random, 0.8) : false,
          cordoned: chance(random, 0.1),
          cordonReason: chance(random, 0.5) ? 'maintenance' : null,
          labels: chance(random, 0.5) ? h.labels : { zone: pick(random, ['eu', 'us', 'ap']) },
          runtimes: chance(random, 0.7)
            ? h.runtimes
            : { docker: { available: true, reason: null }, lxc: { available: lxc, reason: lxc ? null : 'off' } },
          memoryBytes: chance(random, 0.7) ? h.memoryBytes : pick(random, [null, 2 * GiB, 8 * GiB, 5 * GiB + 7]),
        });
      }
      break;
    case 'add': {
      const n = 1 + Math.floor(random() * 3);
      for (const h of randomFleet(random, n)) {
        const id = `00000000-0000-4000-9000-${String(nextHost++).padStart(12, '0')}`;
        truth.hosts.set(id, stateOf({ ...h, id }));
        for (const g of GROUPS) if (chance(random, 0.2)) truth.groups.get(g)!.set(id, 1);
        touched.push(id);
      }
      break;
    }
    case 'remove':
      removed = some().slice(0, 3);
      if (removed.length === ids.length) removed.pop();
      for (const id of removed) {
        truth.hosts.delete(id);
        for (const g of GROUPS) truth.groups.get(g)!.delete(id);
      }
      break;
    case 'group':
      touched = some();
      for (const id of touched) truth.groups.get(pick(random, GROUPS))!.set(id, Math.floor(random() * 3));
      break;
    case 'nothing':
      // A host read again with nothing changed (an event that changed nothing the scheduler uses).
      touched = some();
      break;
  }
  live.apply(
    touched.map((id) => truth.hosts.get(id)!),
    countsFor(truth, touched),
    removed,
  );
  return kind;
}

const summary = (d: { candidates: { host: SchedulingHost; score: number }[] }) =>
  d.candidates.map((c) => ({ id: c.host.id, score: c.score, containers: c.host.containers }));

describe('LiveIndex fed changes against a fresh rebuild and the full scan', () => {
  it('decides as an index built from scratch and as the reference, after every change and reservation', () => {
    const random = prng(20261206);
    let decisions = 0;
    let reservations = 0;
    let refusedRuns = 0;
    const kinds = new Map<string, number>();
    for (let fleet = 0; fleet < 60; fleet++) {
      const hosts = randomFleet(random, 1 + Math.floor(random() * (fleet % 6 === 0 ? 300 : 50))).map((h, i) => ({
        ...h,
        id: `00000000-0000-4000-8000-${String(fleet * 1000 + i).padStart(12, '0')}`,
      }));
      const truth: Truth = {
        hosts: new Map(hosts.map((h) => [h.id, stateOf(h)])),
        groups: new Map(GROUPS.map((g) => [g, new Map(hosts.filter(() => chance(random, 0.1)).map((h) => [h.id, 1]))])),
      };
      const live = new LiveIndex([...truth.hosts.values()]);
      for (const g of GROUPS) live.setGroup(g, truth.groups.get(g)!);
      for (let step = 0; step < 30; step++) {
        const kind = change(random, truth, live);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        const fleetNow = fleetOf(truth, null);
        const demand: Demand = { ...randomDemand(random, fleetNow), group: pick(random, [null, 'g', 'h']) };
        const strategy: Strategy = chance(random, 0.5) ? 'spread' : 'binpack';
        const replicas = 1 + Math.floor(random() * 3);
        // The create policy refusing some hosts, for this request only.
        const refusedIds = chance(random, 0.15)
          ? new Set(fleetNow.filter(() => chance(random, 0.3)).map((h) => h.id))
          : null;
        const refuse = refusedIds
          ? (h: SchedulingHost) => withPolicyRefusal(h, demand.runtime, refusedIds.has(h.id) ? 'rule x' : undefined)
          : undefined;
        if (refuse) refusedRuns++;
        const what = `fleet ${fleet} step ${step} after ${kind} (${strategy}, ${replicas} replicas)`;

        const sut = live.schedule(demand, { strategy, replicas }, refuse);
        const asSeen = fleetOf(truth, demand.group).map((h) => (refuse ? refuse(h) : h));
        const fresh = schedule(new HostIndex(asSeen, demand.group), demand, { strategy, replicas });
        const reference = referenceSchedule(asSeen, demand, strategy, replicas);
        expect(sut.decisions.length, what).toBe(reference.length);
        expect(sut.decisions.map(summary), what).toEqual(fresh.decisions.map(summary));
        expect(sut.decisions.map(summary), what).toEqual(reference.map(summary));
        expect(
          sut.decisions.map((d) => d.reasons),
          what,
        ).toEqual(fresh.decisions.map((d) => d.reasons));
        decisions += sut.decisions.length;

        // Sometimes the placement goes ahead: its replicas are reserved on the live index.
        if (sut.placed > 0 && chance(random, 0.5)) {
          for (const d of sut.decisions) {
            if (!d.chosen) continue;
            const id = live.reserve(d.chosen.index, demand);
            expect(id, what).toBe(d.chosen.host.id);
            const h = truth.hosts.get(id)!;
            truth.hosts.set(id, stateOf(withReplica({ ...h, groupContainers: 0, placedHere: 0 }, demand)));
            if (demand.group) {
              const counts = truth.groups.get(demand.group)!;
              counts.set(id, (counts.get(id) ?? 0) + 1);
            }
            reservations++;
          }
        }
      }
      // The hosts the index holds are the truth, use included.
      const held = live.hosts().sort(byName);
      expect(held).toEqual(fleetOf(truth, null).map(stateOf));
    }
    expect(decisions).toBeGreaterThan(2000);
    expect(reservations).toBeGreaterThan(300);
    expect(refusedRuns).toBeGreaterThan(100);
    for (const kind of ['use', 'shape', 'add', 'remove', 'group', 'nothing'])
      expect(kinds.get(kind)).toBeGreaterThan(50);
    // Seeded property runs take seconds; longer on a busy machine.
  }, 60_000);

  it('rebuilds only for changes of what a host is, and keeps positions otherwise', () => {
    const random = prng(7);
    const hosts = randomFleet(random, 40).map(stateOf);
    const live = new LiveIndex(hosts);
    const first = hosts[0]!;
    live.apply(
      [{ ...first, memoryUsedBytes: first.memoryUsedBytes + GiB, containers: first.containers + 1 }],
      new Map(),
    );
    expect(live.generation).toBe(0);
    live.apply([{ ...first, cordoned: !first.cordoned }], new Map());
    expect(live.generation).toBe(1);
    live.apply([], new Map(), [first.id]);
    expect(live.generation).toBe(2);
    expect(live.has(first.id)).toBe(false);
    expect(live.size).toBe(39);
  });
});

describe('sameShape', () => {
  it('ignores use and label order, and sees every field of what a host is', () => {
    const [h] = randomFleet(prng(3), 1).map(stateOf);
    const a = { ...h!, labels: { zone: 'eu', disk: 'ssd' } };
    expect(sameShape(a, { ...a, labels: { disk: 'ssd', zone: 'eu' }, memoryUsedBytes: 5, containers: 9 })).toBe(true);
    for (const other of [
      { online: !a.online },
      { cordoned: !a.cordoned },
      { cordonReason: 'x' },
      { hostname: 'other' },
      { memoryBytes: 1 },
      { cpus: 99 },
      { labels: { zone: 'us', disk: 'ssd' } },
      { runtimes: { docker: { available: false, reason: 'gone' } } },
    ]) {
      expect(sameShape(a, { ...a, ...other }), JSON.stringify(other)).toBe(false);
    }
  });
});
