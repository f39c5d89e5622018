import { describe, expect, it } from 'vitest';
import { explain, MAX_LISTED_HOSTS, reasonsFor } from './explanation.js';
import { schedule } from './schedule.js';
import { aDemand, aHost, GiB, MiB } from './scheduler.fixture.js';
import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';

// The first replica's decision, as the scheduler makes it.
const decide = (hosts: SchedulingHost[], demand: Demand, strategy: Strategy, keep = 5) =>
  schedule(hosts, demand, { strategy, replicas: 1, candidates: keep }).decisions[0]!;

const fleet = () => [
  aHost({ hostname: 'h1', memoryBytes: 4 * GiB, memoryUsedBytes: 3 * GiB, containers: 5 }),
  aHost({ hostname: 'h2', memoryBytes: 8 * GiB, memoryUsedBytes: 2 * GiB, containers: 9 }),
  aHost({ hostname: 'h3', memoryBytes: 2 * GiB, memoryUsedBytes: 0, containers: 1 }),
];

describe('decide', () => {
  it('spread picks the host with the most free memory fraction', () => {
    const sut = decide(fleet(), aDemand({ memoryBytes: 512 * MiB }), 'spread');
    expect(sut.chosen?.host.hostname).toBe('h3');
    expect(sut.candidates.map((c) => c.host.hostname)).toEqual(['h3', 'h2', 'h1']);
    expect(sut.candidates.map((c) => c.score)).toEqual([0.75, 0.6875, 0.125]);
  });

  it('binpack picks the fullest host that still fits', () => {
    const sut = decide(fleet(), aDemand({ memoryBytes: 512 * MiB }), 'binpack');
    expect(sut.chosen?.host.hostname).toBe('h1');
    const tooBig = decide(fleet(), aDemand({ memoryBytes: 2 * GiB }), 'binpack');
    expect(tooBig.chosen?.host.hostname).toBe('h3');
  });

  it('breaks score ties by fewer containers, then by hostname', () => {
    const hosts = [
      aHost({ hostname: 'b', containers: 2 }),
      aHost({ hostname: 'c', containers: 1 }),
      aHost({ hostname: 'a', containers: 2 }),
    ];
    const sut = decide(hosts, aDemand(), 'spread');
    expect(sut.candidates.map((c) => c.host.hostname)).toEqual(['c', 'a', 'b']);
  });

  it('keeps only the best few candidates, in order', () => {
    const hosts = Array.from({ length: 20 }, (_, i) =>
      aHost({ hostname: `h${String(i).padStart(2, '0')}`, memoryUsedBytes: (i % 7) * 256 * MiB }),
    );
    const sut = decide(hosts, aDemand(), 'spread', 3);
    expect(sut.candidates.map((c) => c.host.hostname)).toEqual(['h00', 'h07', 'h14']);
  });

  it('gives each rejected host the reason of the first filter that turns it down', () => {
    const hosts = [
      aHost({ hostname: 'off', online: false, cordoned: true }),
      aHost({ hostname: 'cordoned', cordoned: true, memoryBytes: 0 }),
      aHost({ hostname: 'small', memoryBytes: 512 * MiB }),
    ];
    const demand = aDemand({ memoryBytes: GiB });
    const sut = decide(hosts, demand, 'spread');
    expect(sut.chosen).toBeNull();
    expect(sut.reasons).toEqual(['off: offline', 'cordoned: cordoned', 'small: 512 MiB free < 1 GiB requested']);
  });
});

describe('schedule', () => {
  it('places replicas one after another, each seeing the ones before', () => {
    const hosts = [aHost({ hostname: 'h1', memoryBytes: 4 * GiB }), aHost({ hostname: 'h2', memoryBytes: 3 * GiB })];
    const sut = schedule(hosts, aDemand({ memoryBytes: GiB }), { strategy: 'spread', replicas: 3 });
    expect(sut.placed).toBe(3);
    // Free fractions after each: h1 0.75 vs h2 0.67; then h1 0.5 vs h2 0.67; then h1 0.5 vs h2 0.33.
    expect(sut.decisions.map((d) => d.chosen?.host.hostname)).toEqual(['h1', 'h2', 'h1']);
    expect(hosts[0]!.memoryUsedBytes).toBe(0);
  });

  it('keeps a group to one container per host, counting its own replicas', () => {
    const hosts = [aHost({ hostname: 'h1' }), aHost({ hostname: 'h2', groupContainers: 1 }), aHost({ hostname: 'h3' })];
    const demand = aDemand({ group: 'web' });
    const sut = schedule(hosts, demand, { strategy: 'spread', replicas: 3 });
    expect(sut.placed).toBe(2);
    expect(sut.decisions.map((d) => d.chosen?.host.hostname ?? null)).toEqual(['h1', 'h3', null]);
    expect(reasonsFor(sut.decisions[2]!)).toEqual([
      'h1: already gets a container of group web from this placement',
      'h2: already runs a container of group web',
      'h3: already gets a container of group web from this placement',
    ]);
  });

  it('stops at the first replica that fits nowhere', () => {
    const sut = schedule([aHost({ memoryBytes: GiB })], aDemand({ memoryBytes: GiB }), {
      strategy: 'spread',
      replicas: 5,
    });
    expect(sut.placed).toBe(1);
    expect(sut.decisions).toHaveLength(2);
  });
});

describe('explain', () => {
  const demand = aDemand({ memoryBytes: GiB, group: 'web' });

  it('summarizes the choice with scores, and lists the candidates and the rejected examples', () => {
    const hosts = [aHost({ hostname: 'h1' }), aHost({ hostname: 'h2', online: false })];
    const s = schedule(hosts, demand, { strategy: 'spread', replicas: 2 });
    const sut = explain({
      schedule: s,
      demand,
      strategy: 'spread',
      replicas: 2,
      names: ['web-1', 'web-2'],
      outcome: 'partial',
      placed: 1,
    });
    expect(sut.summary).toBe('placed 1 of 2: web-1 on h1 (score 0.75); replica 2 fits no host (2 considered)');
    expect(sut.decisions[0]).toMatchObject({
      replica: 1,
      name: 'web-1',
      hostname: 'h1',
      score: 0.75,
      feasibleHosts: 1,
    });
    expect(sut.decisions[0]!.rejectedHosts).toEqual({ online: 1 });
    expect(sut.decisions[1]).toMatchObject({ replica: 2, hostId: null, score: null, feasibleHosts: 0 });
    expect(sut.hosts.map((h) => [h.hostname, h.verdict, h.reason, h.score])).toEqual([
      ['h1', 'fits', null, 0.75],
      ['h2', 'rejected', 'offline', null],
    ]);
    expect(sut.reasons).toEqual(['h1: already gets a container of group web from this placement', 'h2: offline']);
    expect(sut.reasonsOmitted).toBe(0);
  });

  it('says when all or nothing left every replica unplaced; lists candidates and a few examples per filter', () => {
    const hosts = Array.from({ length: 205 }, (_, i) =>
      aHost({ hostname: `h${String(i).padStart(3, '0')}`, cordoned: i > 0 }),
    );
    const s = schedule(hosts, demand, { strategy: 'binpack', replicas: 2 });
    const sut = explain({
      schedule: s,
      demand,
      strategy: 'binpack',
      replicas: 2,
      names: [null, null],
      outcome: 'rejected',
      placed: 0,
    });
    expect(sut.summary).toBe('placed none of 2; replica 2 fits no host (205 considered); all or nothing: none placed');
    expect(sut.hosts.map((h) => [h.hostname, h.verdict, h.filter])).toEqual([
      ['h000', 'fits', null],
      ['h001', 'rejected', 'cordon'],
      ['h002', 'rejected', 'cordon'],
      ['h003', 'rejected', 'cordon'],
    ]);
    expect(sut.hostsOmitted).toBe(201);
    expect(sut.decisions[0]).toMatchObject({ evaluatedHosts: 205, skippedHosts: 0, rejectedHosts: { cordon: 204 } });
    expect(sut.decisions[0]!.rejectedExamples).toEqual({
      cordon: ['h001: cordoned', 'h002: cordoned', 'h003: cordoned'],
    });
    expect(sut.decisions[1]!.rejectedExamples['anti-affinity']).toEqual([
      'h000: already gets a container of group web from this placement',
    ]);
    expect(sut.reasons).toHaveLength(205);
    expect(MAX_LISTED_HOSTS).toBeGreaterThanOrEqual(5 + 8 * 3);
  });

  it('leaves hosts outside the requested ones out of the reasons and the host list, but counts them', () => {
    const hosts = [aHost({ hostname: 'h1', memoryBytes: 512 * MiB }), aHost({ hostname: 'h2' })];
    const scoped = aDemand({ memoryBytes: GiB, hostIds: new Set([hosts[0]!.id]) });
    const s = schedule(hosts, scoped, { strategy: 'spread', replicas: 1 });
    const sut = explain({
      schedule: s,
      demand: scoped,
      strategy: 'spread',
      replicas: 1,
      names: [null],
      outcome: 'rejected',
      placed: 0,
    });
    expect(sut.reasons).toEqual(['h1: 512 MiB free < 1 GiB requested']);
    expect(sut.hosts.map((h) => h.hostname)).toEqual(['h1']);
    expect(sut.decisions[0]!.rejectedHosts).toEqual({ hosts: 1, memory: 1 });
    expect(sut.summary).toBe('placed none of 1; replica 1 fits no host (1 considered)');
  });
});
