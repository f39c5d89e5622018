import { describe, expect, it } from 'vitest';
import { chance, pick, prng, randomDemand, randomFleet } from '../../../../../test/support/scheduler/random-fleet.js';
import {
  decide,
  referenceSchedule,
  rejectionReason,
  type ScanDecision,
  withReplica,
} from '../../../../../test/support/scheduler/reference.js';
import { FILTERS, HOSTS } from './filters.js';
import { HostIndex, type ReplicaDecision } from './host-index.js';
import { schedule } from './schedule.js';
import { aDemand, aHost, GiB, MiB } from './scheduler.fixture.js';
import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';

const summary = (d: ScanDecision | ReplicaDecision) =>
  d.candidates.map((c) => ({ id: c.host.id, score: c.score, containers: c.host.containers }));

// The per-filter counts and the one-reason-per-host list of a full scan.
function scanCounts(d: ScanDecision): number[] {
  const counts = new Array(FILTERS.length + 1).fill(0);
  for (const code of d.verdicts) if (code !== 0) counts[code]++;
  return counts;
}

function scanReasons(d: ScanDecision, demand: Demand): string[] {
  const reasons: string[] = [];
  d.hosts.forEach((h, i) => {
    if (d.verdicts[i] === HOSTS) return;
    const reason = rejectionReason(d, i, demand);
    if (reason) reasons.push(`${h.hostname}: ${reason}`);
  });
  return reasons;
}

function expectSameDecision(sut: ReplicaDecision, reference: ScanDecision, demand: Demand, what: string) {
  expect(sut.chosen?.host.id ?? null, what).toBe(reference.chosen?.host.id ?? null);
  expect(summary(sut), what).toEqual(summary(reference));
  const counts = scanCounts(reference);
  const inScope = reference.hosts.length - counts[HOSTS];
  expect(sut.inScope, what).toBe(inScope);
  expect(sut.evaluated, what).toBeLessThanOrEqual(inScope);
  const rejected = Array.from(sut.rejected).reduce((a, b) => a + b, 0);
  expect(sut.feasible + rejected - sut.rejected[HOSTS]!, what).toBe(sut.evaluated);
  if (!reference.chosen || demand.hostIds !== null) {
    // A full scan: the same counts; and when nothing fits, one reason per host.
    expect(Array.from(sut.rejected), what).toEqual(counts);
    expect(sut.feasible, what).toBe(reference.feasible);
    expect(sut.reasons, what).toEqual(reference.chosen ? [] : scanReasons(reference, demand));
  } else {
    expect(sut.feasible, what).toBeLessThanOrEqual(reference.feasible);
    for (let code = 1; code <= FILTERS.length; code++)
      expect(sut.rejected[code]!, what).toBeLessThanOrEqual(counts[code]);
  }
  for (const e of sut.examples) expect(e.reason, what).toBe(FILTERS[e.code - 1]!.reason(e.host, demand));
}

describe('HostIndex.decide against the full scan', () => {
  it('chooses the same host and candidates, with the same counts and reasons when it scans, on random fleets', () => {
    const random = prng(20261129);
    let cases = 0;
    let early = 0;
    for (let fleet = 0; fleet < 400; fleet++) {
      const hosts = randomFleet(random, 1 + Math.floor(random() * (fleet % 10 === 0 ? 400 : 60)));
      for (let k = 0; k < 6; k++) {
        const demand = randomDemand(random, hosts);
        const strategy: Strategy = chance(random, 0.5) ? 'spread' : 'binpack';
        const replicas = 1 + Math.floor(random() * 4);
        const sut = schedule(hosts, demand, { strategy, replicas });
        const reference = referenceSchedule(hosts, demand, strategy, replicas);
        const what = `fleet ${fleet} case ${k} (${strategy}, ${replicas} replicas)`;
        expect(sut.decisions.length, what).toBe(reference.length);
        sut.decisions.forEach((d, r) => {
          expectSameDecision(d, reference[r]!, demand, `${what} replica ${r + 1}`);
          if (d.evaluated < d.inScope) early++;
        });
        cases++;
      }
    }
    expect(cases).toBe(2400);
    // The early stop did happen, or this test would prove nothing about it.
    expect(early).toBeGreaterThan(500);
    // Seeded property runs take seconds; longer on a busy machine.
  }, 60_000);

  it('agrees too when bands hold hosts of different sizes', () => {
    const random = prng(4242);
    let early = 0;
    for (let fleet = 0; fleet < 200; fleet++) {
      const hosts = randomFleet(random, 1 + Math.floor(random() * 120));
      const bandsPerDoubling = pick(random, [0.5, 1, 4, 32]);
      const sut = new HostIndex(hosts, 'g', { maxExactBands: 0, bandsPerDoubling });
      for (let k = 0; k < 8; k++) {
        const demand = { ...randomDemand(random, hosts), group: chance(random, 0.3) ? 'g' : null };
        const strategy: Strategy = chance(random, 0.5) ? 'spread' : 'binpack';
        const keep = 1 + Math.floor(random() * 5);
        const decision = sut.decide(demand, strategy, keep, new Map(), 1);
        expectSameDecision(decision, decide(hosts, demand, strategy, keep), demand, `fleet ${fleet} case ${k}`);
        if (decision.evaluated < decision.inScope) early++;
      }
    }
    expect(early).toBeGreaterThan(200);
  });

  it('settles ties by the band order only when bytes are whole numbers', () => {
    // 1.603204328679296 and the double below it give the same score on a host of 3 bytes.
    const a1 = 1.603204328679296;
    const a2 = a1 - Number.EPSILON;
    const hosts = [
      aHost({ hostname: 'w', memoryBytes: 6, memoryUsedBytes: 6 - 2 * a1, containers: 3 }),
      aHost({ hostname: 'x', memoryBytes: 3, memoryUsedBytes: 3 - a1, containers: 5 }),
      aHost({ hostname: 'y', memoryBytes: 3, memoryUsedBytes: 3 - a2, containers: 0 }),
    ];
    const demand = aDemand();
    const reference = decide(hosts, demand, 'spread', 1);
    expect(reference.chosen?.host.hostname).toBe('y');
    expect(new Set(reference.hosts.map((h) => h.memoryUsedBytes)).size).toBe(3);
    const sut = new HostIndex(hosts).decide(demand, 'spread', 1, new Map(), 1);
    expect(sut.chosen?.host.hostname).toBe('y');
  });

  it('stays exact while reservations come and go on one index', () => {
    const random = prng(7);
    for (let fleet = 0; fleet < 40; fleet++) {
      let hosts = randomFleet(random, 50 + Math.floor(random() * 200));
      const sut = new HostIndex(hosts, 'g');
      for (let step = 0; step < 40; step++) {
        const demand = { ...randomDemand(random, hosts), hostIds: null, group: chance(random, 0.5) ? 'g' : null };
        const strategy: Strategy = chance(random, 0.5) ? 'spread' : 'binpack';
        const decision = sut.decide(demand, strategy, 5, new Map(), 1);
        const reference = decide(hosts, demand, strategy);
        expectSameDecision(decision, reference, demand, `fleet ${fleet} step ${step}`);
        if (!decision.chosen) continue;
        // Keep the replica: the index in place, the reference as a new host.
        const at = decision.chosen.index;
        sut.reserve(at, demand);
        hosts = hosts.slice();
        hosts[at] = { ...withReplica(hosts[at]!, demand), placedHere: 0 };
      }
    }
    // Seeded property runs take seconds; longer on a busy machine.
  }, 60_000);

  it('stays exact on a large fleet of two sizes as reservations move hosts across many blocks', () => {
    const random = prng(31337);
    const base = randomFleet(random, 3000).map((h) => ({
      ...h,
      memoryBytes: h.memoryBytes === null ? null : pick(random, [16, 32]) * GiB,
      // CPU is scarce, so whole blocks lack it.
      cpus: h.cpus === null ? null : 1,
      cpusUsed: chance(random, 0.93) ? 1 : 0,
    }));
    const sut = new HostIndex(base, 'g');
    let hosts = base;
    const held: { reservation: ReturnType<HostIndex['reserve']>; before: SchedulingHost }[] = [];
    for (let step = 0; step < 300; step++) {
      const demand = aDemand({
        runtime: 'docker',
        memoryBytes: pick(random, [256 * MiB, GiB, 2 * GiB]),
        cpus: pick(random, [0, 0.5, 0.5, 1]),
        constraints: chance(random, 0.3) ? [{ label: 'zone', op: '=', value: 'eu' }] : [],
        group: chance(random, 0.2) ? 'g' : null,
      });
      const strategy: Strategy = chance(random, 0.5) ? 'spread' : 'binpack';
      const decision = sut.decide(demand, strategy, 5, new Map(), 1);
      expectSameDecision(decision, decide(hosts, demand, strategy), demand, `step ${step}`);
      if (held.length > 0 && (chance(random, 0.2) || !decision.chosen)) {
        // Undo the last reservation, as a request that ends does.
        const last = held.pop()!;
        sut.restore(last.reservation);
        hosts = hosts.slice();
        hosts[last.reservation.index] = last.before;
      } else if (decision.chosen) {
        const at = decision.chosen.index;
        held.push({ reservation: sut.reserve(at, demand), before: hosts[at]! });
        hosts = hosts.slice();
        hosts[at] = { ...withReplica(hosts[at]!, demand), placedHere: 0 };
      }
    }
  });

  it('leaves the index as it found it after a request of several replicas', () => {
    const random = prng(99);
    const hosts = randomFleet(random, 300);
    const sut = new HostIndex(hosts, 'g');
    const demand = aDemand({ memoryBytes: 512 * MiB, cpus: 0.1, group: 'g' });
    const before = schedule(sut, demand, { strategy: 'spread', replicas: 1 }).decisions[0]!;
    schedule(sut, demand, { strategy: 'binpack', replicas: 7 });
    const after = schedule(sut, demand, { strategy: 'spread', replicas: 1 }).decisions[0]!;
    expect(summary(after)).toEqual(summary(before));
    for (let i = 0; i < hosts.length; i++) expect(sut.view(i, 'g')).toEqual(hosts[i]);
  });

  it('stops early: on 10,000 hosts a spread decision looks at a handful', () => {
    const random = prng(3);
    const hosts = randomFleet(random, 10_000);
    const demand = aDemand({ memoryBytes: 512 * MiB });
    const sut = schedule(hosts, demand, { strategy: 'spread', replicas: 1 }).decisions[0]!;
    const reference = decide(hosts, demand, 'spread');
    expect(summary(sut)).toEqual(summary(reference));
    const statics = sut.rejected[2]! + sut.rejected[3]! + sut.rejected[4]! + sut.rejected[5]!;
    expect(sut.evaluated - statics).toBeLessThan(100);
    expect(sut.inScope - sut.evaluated).toBeGreaterThan(8000);
  });
});

describe('HostIndex', () => {
  it('matches labels through interned values, absent labels included', () => {
    const hosts = [
      aHost({ hostname: 'a', labels: { zone: 'eu', disk: 'ssd' } }),
      aHost({ hostname: 'b', labels: { zone: 'us' } }),
      aHost({ hostname: 'c', labels: {} }),
    ];
    const sut = new HostIndex(hosts);
    const fits = (constraints: Constraint[]) =>
      sut
        .decide(aDemand({ constraints }), 'spread', 5, new Map(), 1)
        .candidates.map((c) => c.host.hostname)
        .sort();
    expect(fits([{ label: 'zone', op: '=', value: 'eu' }])).toEqual(['a']);
    expect(fits([{ label: 'zone', op: '!=', value: 'eu' }])).toEqual(['b', 'c']);
    expect(fits([{ label: 'zone', op: 'in', values: ['us', 'ap'] }])).toEqual(['b']);
    expect(fits([{ label: 'zone', op: 'not in', values: ['us'] }])).toEqual(['a', 'c']);
    expect(fits([{ label: 'disk', op: 'exists' }])).toEqual(['a']);
    expect(fits([{ label: 'zone', op: '=', value: 'nowhere' }])).toEqual([]);
    expect(
      fits([
        { label: 'zone', op: 'exists' },
        { label: 'disk', op: '!=', value: 'ssd' },
      ]),
    ).toEqual(['b']);
  });

  it('counts hosts turned down by online, cordon, runtime and facts once per runtime, with examples', () => {
    const hosts = [
      aHost({ hostname: 'off', online: false }),
      aHost({ hostname: 'cordoned', cordoned: true, cordonReason: 'disk swap' }),
      aHost({ hostname: 'nolxc', runtimes: { docker: { available: true, reason: null } } }),
      aHost({ hostname: 'nofacts', memoryBytes: null }),
      aHost({ hostname: 'ok' }),
    ];
    const sut = new HostIndex(hosts).decide(aDemand({ runtime: 'lxc' }), 'spread', 5, new Map(), 1);
    expect(sut.chosen?.host.hostname).toBe('ok');
    expect(Array.from(sut.rejected).slice(1, 6)).toEqual([0, 1, 1, 1, 1]);
    expect(sut.examples.map((e) => `${e.host.hostname}: ${e.reason}`)).toEqual([
      'off: offline',
      'cordoned: cordoned (disk swap)',
      'nolxc: no lxc',
      'nofacts: no host facts reported yet',
    ]);
  });

  it('binpack skips hosts with too little free memory without evaluating them', () => {
    const hosts = Array.from({ length: 100 }, (_, i) =>
      aHost({ hostname: `h${String(i).padStart(3, '0')}`, memoryUsedBytes: i < 90 ? 3.5 * GiB : 2 * GiB }),
    );
    const demand = aDemand({ memoryBytes: GiB });
    const sut = new HostIndex(hosts).decide(demand, 'binpack', 5, new Map(), 1);
    expect(summary(sut)).toEqual(summary(decide(hosts, demand, 'binpack')));
    expect(sut.evaluated).toBe(5);
    expect(sut.rejected[8]).toBe(0);
  });
});
