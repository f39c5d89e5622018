import { describe, expect, it } from 'vitest';
import { allowedHostsFilter } from './allowed-hosts.filter.js';
import { antiAffinityFilter } from './anti-affinity.filter.js';
import { cordonFilter } from './cordon.filter.js';
import { cpuFilter } from './cpu.filter.js';
import { factsFilter } from './facts.filter.js';
import { constraintHolds, labelsFilter } from './labels.filter.js';
import { memoryFilter } from './memory.filter.js';
import { onlineFilter } from './online.filter.js';
import { runtimeFilter } from './runtime.filter.js';
import { aDemand, aHost, GiB, MiB } from './scheduler.fixture.js';
import type { Constraint } from './scheduler.types.js';

describe('allowedHostsFilter', () => {
  const sut = allowedHostsFilter;
  const h1 = aHost({ hostname: 'h1' });
  const h2 = aHost({ hostname: 'h2' });

  it('applies only when the request names hosts', () => {
    expect(sut.appliesTo(aDemand())).toBe(false);
    expect(sut.appliesTo(aDemand({ hostIds: new Set([h1.id]) }))).toBe(true);
  });

  it('keeps the named hosts and turns the others down', () => {
    const demand = aDemand({ hostIds: new Set([h1.id]) });
    expect(sut.rejects(h1, demand)).toBe(false);
    expect(sut.rejects(h2, demand)).toBe(true);
    expect(sut.reason(h2, demand)).toBe('not among the requested hosts');
  });
});

describe('onlineFilter', () => {
  const sut = onlineFilter;

  it('turns down offline hosts', () => {
    expect(sut.rejects(aHost(), aDemand())).toBe(false);
    expect(sut.rejects(aHost({ online: false }), aDemand())).toBe(true);
    expect(sut.reason(aHost({ online: false }), aDemand())).toBe('offline');
  });
});

describe('cordonFilter', () => {
  const sut = cordonFilter;

  it('turns down cordoned hosts, with the reason given when cordoning', () => {
    expect(sut.rejects(aHost(), aDemand())).toBe(false);
    expect(sut.rejects(aHost({ cordoned: true }), aDemand())).toBe(true);
    expect(sut.reason(aHost({ cordoned: true }), aDemand())).toBe('cordoned');
    expect(sut.reason(aHost({ cordoned: true, cordonReason: 'disk swap' }), aDemand())).toBe('cordoned (disk swap)');
  });
});

describe('runtimeFilter', () => {
  const sut = runtimeFilter;

  it('needs the runtime reported available', () => {
    const noLxc = aHost({ runtimes: { docker: { available: true, reason: null } } });
    const brokenLxc = aHost({
      runtimes: { docker: { available: true, reason: null }, lxc: { available: false, reason: 'lxc-ls not found' } },
    });
    const lxc = aDemand({ runtime: 'lxc' });
    expect(sut.rejects(noLxc, aDemand({ runtime: 'docker' }))).toBe(false);
    expect(sut.rejects(noLxc, lxc)).toBe(true);
    expect(sut.reason(noLxc, lxc)).toBe('no lxc');
    expect(sut.rejects(brokenLxc, lxc)).toBe(true);
    expect(sut.reason(brokenLxc, lxc)).toBe('no lxc (lxc-ls not found)');
  });
});

describe('factsFilter', () => {
  const sut = factsFilter;

  it('turns down hosts whose capacity is not known yet', () => {
    expect(sut.rejects(aHost(), aDemand())).toBe(false);
    expect(sut.rejects(aHost({ memoryBytes: null, cpus: null }), aDemand())).toBe(true);
    expect(sut.reason(aHost({ memoryBytes: null }), aDemand())).toBe('no host facts reported yet');
  });
});

describe('labelsFilter', () => {
  const sut = labelsFilter;
  const eu = aHost({ labels: { zone: 'eu', disk: 'ssd' } });
  const us = aHost({ labels: { zone: 'us' } });
  const bare = aHost({ labels: {} });

  it.each<[Constraint, boolean, boolean, boolean]>([
    [{ label: 'zone', op: '=', value: 'eu' }, true, false, false],
    [{ label: 'zone', op: '!=', value: 'eu' }, false, true, true],
    [{ label: 'zone', op: 'in', values: ['eu', 'ap'] }, true, false, false],
    [{ label: 'zone', op: 'not in', values: ['eu', 'ap'] }, false, true, true],
    [{ label: 'disk', op: 'exists' }, true, false, false],
  ])('%o holds on eu %s, us %s, unlabelled %s', (c, onEu, onUs, onBare) => {
    expect(constraintHolds(eu.labels, c)).toBe(onEu);
    expect(constraintHolds(us.labels, c)).toBe(onUs);
    expect(constraintHolds(bare.labels, c)).toBe(onBare);
  });

  it('does not take inherited object keys for labels', () => {
    expect(constraintHolds({}, { label: 'constructor', op: 'exists' })).toBe(false);
    expect(constraintHolds({}, { label: 'toString', op: '=', value: '' })).toBe(false);
  });

  it('applies only with constraints, and needs all of them', () => {
    expect(sut.appliesTo(aDemand())).toBe(false);
    const demand = aDemand({
      constraints: [
        { label: 'zone', op: '=', value: 'eu' },
        { label: 'disk', op: '=', value: 'ssd' },
      ],
    });
    expect(sut.appliesTo(demand)).toBe(true);
    expect(sut.rejects(eu, demand)).toBe(false);
    expect(sut.rejects(aHost({ labels: { zone: 'eu', disk: 'hdd' } }), demand)).toBe(true);
  });

  it('names the first constraint that fails and what the host has', () => {
    const c = (constraint: Constraint) => aDemand({ constraints: [constraint] });
    expect(sut.reason(us, c({ label: 'zone', op: '=', value: 'eu' }))).toBe('label zone=eu required, has zone=us');
    expect(sut.reason(bare, c({ label: 'zone', op: '=', value: 'eu' }))).toBe('label zone=eu required, has no zone');
    expect(sut.reason(eu, c({ label: 'zone', op: '!=', value: 'eu' }))).toBe('label zone!=eu required, has zone=eu');
    expect(sut.reason(us, c({ label: 'zone', op: 'in', values: ['eu', 'ap'] }))).toBe(
      'label zone in (eu, ap) required, has zone=us',
    );
    expect(sut.reason(eu, c({ label: 'zone', op: 'not in', values: ['eu'] }))).toBe(
      'label zone not in (eu) required, has zone=eu',
    );
    expect(sut.reason(us, c({ label: 'disk', op: 'exists' }))).toBe('label disk required, has no disk');
  });
});

describe('antiAffinityFilter', () => {
  const sut = antiAffinityFilter;
  const web = aDemand({ group: 'web' });

  it('applies only to a group, and turns down hosts already holding one of it', () => {
    expect(sut.appliesTo(aDemand())).toBe(false);
    expect(sut.appliesTo(web)).toBe(true);
    expect(sut.rejects(aHost(), web)).toBe(false);
    expect(sut.rejects(aHost({ groupContainers: 1 }), web)).toBe(true);
  });

  it('tells an existing container from a replica of this very placement', () => {
    expect(sut.reason(aHost({ groupContainers: 1 }), web)).toBe('already runs a container of group web');
    expect(sut.reason(aHost({ groupContainers: 1, placedHere: 1 }), web)).toBe(
      'already gets a container of group web from this placement',
    );
    expect(sut.reason(aHost({ groupContainers: 2, placedHere: 1 }), web)).toBe('already runs a container of group web');
  });
});

describe('memoryFilter', () => {
  const sut = memoryFilter;
  const demand = aDemand({ memoryBytes: GiB });

  it('applies only when memory is asked for', () => {
    expect(sut.appliesTo(aDemand())).toBe(false);
    expect(sut.appliesTo(demand)).toBe(true);
  });

  it('needs free memory (allocatable minus counted limits) of at least the request', () => {
    expect(sut.rejects(aHost({ memoryBytes: GiB }), demand)).toBe(false);
    expect(sut.rejects(aHost({ memoryBytes: 2 * GiB, memoryUsedBytes: GiB }), demand)).toBe(false);
    expect(sut.rejects(aHost({ memoryBytes: 2 * GiB, memoryUsedBytes: GiB + 1 }), demand)).toBe(true);
  });

  it('says what is free and what was asked for, never less than nothing', () => {
    expect(sut.reason(aHost({ memoryBytes: 512 * MiB }), demand)).toBe('512 MiB free < 1 GiB requested');
    expect(sut.reason(aHost({ memoryBytes: GiB, memoryUsedBytes: 2 * GiB }), demand)).toBe(
      '0 B free < 1 GiB requested',
    );
  });
});

describe('cpuFilter', () => {
  const sut = cpuFilter;

  it('applies only when CPUs are asked for', () => {
    expect(sut.appliesTo(aDemand())).toBe(false);
    expect(sut.appliesTo(aDemand({ cpus: 0.5 }))).toBe(true);
  });

  it('needs free CPUs of at least the request, without float noise', () => {
    expect(sut.rejects(aHost({ cpus: 2, cpusUsed: 1.5 }), aDemand({ cpus: 0.5 }))).toBe(false);
    expect(sut.rejects(aHost({ cpus: 1, cpusUsed: 0.1 + 0.2 }), aDemand({ cpus: 0.7 }))).toBe(false);
    expect(sut.rejects(aHost({ cpus: 2, cpusUsed: 1.5 }), aDemand({ cpus: 1 }))).toBe(true);
    expect(sut.reason(aHost({ cpus: 2, cpusUsed: 1.5 }), aDemand({ cpus: 2 }))).toBe('0.5 CPUs free < 2 requested');
  });
});
