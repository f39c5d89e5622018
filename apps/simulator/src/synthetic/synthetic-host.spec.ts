import { ContainerRecordSchema, InventorySchema, LeaseRecordSchema, recordKey } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE, SyntheticHost } from './synthetic-host.js';

const NOW = Date.parse('2026-11-29T08:00:00.000Z');
const shape = { ...DEFAULT_SHAPE, seed: 7, containersPerHost: 50 };

describe('SyntheticHost', () => {
  it('builds an inventory the protocol accepts', () => {
    const sut = new SyntheticHost(shape, 3, NOW);
    const inventory = sut.inventory();
    expect(InventorySchema.safeParse(inventory).success).toBe(true);
    expect(inventory.containers).toHaveLength(50);
    expect(inventory.leases).toHaveLength(15);
    expect(inventory.containers.filter((c) => c.runtime === 'lxc')).toHaveLength(15);
    expect(inventory.bridges.map((b) => b.name)).toEqual(['lxcbr0']);
    expect(inventory.images.length).toBeGreaterThan(0);
    expect(inventory.volumes.length).toBeGreaterThan(0);
    expect(inventory.networks.length).toBeGreaterThan(0);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = new SyntheticHost(shape, 12, NOW).inventory();
    const b = new SyntheticHost(shape, 12, NOW).inventory();
    const c = new SyntheticHost({ ...shape, seed: 8 }, 12, NOW).inventory();
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(new SyntheticHost(shape, 12).agentId).toBe(new SyntheticHost(shape, 12).agentId);
    expect(c.containers[20]!.id).not.toBe(a.containers[20]!.id);
    expect(new SyntheticHost({ ...shape, seed: 8 }, 12).agentId).not.toBe(new SyntheticHost(shape, 12).agentId);
  });

  it('gives unique ids, names, addresses and MACs across hosts', () => {
    const hosts = Array.from({ length: 200 }, (_, i) => new SyntheticHost(shape, i, NOW));
    const containers = hosts.flatMap((h) => h.inventory().containers);
    const unique = (values: string[]) => new Set(values).size;
    expect(unique(containers.map((c) => c.id))).toBe(containers.length);
    expect(unique(containers.map((c) => c.name))).toBe(containers.length);
    expect(unique(containers.map((c) => c.networks[0]!.ipv4!))).toBe(containers.length);
    expect(unique(containers.map((c) => c.networks[0]!.mac!))).toBe(containers.length);
    expect(unique(hosts.map((h) => h.agentId))).toBe(hosts.length);
    expect(unique(hosts.map((h) => h.hostname))).toBe(hosts.length);
  });

  it('names each record by the key the controller derives from it', () => {
    const sut = new SyntheticHost(shape, 5, NOW);
    for (let j = 0; j < sut.containerCount; j++) {
      expect(sut.containerKey(j)).toBe(recordKey('container', sut.container(j)));
    }
    for (let k = 0; k < sut.leaseCount; k++) expect(sut.leaseKey(k)).toBe(recordKey('lease', sut.lease(k)));
  });

  it('flips a container between running and stopped with a fresh start time', () => {
    const sut = new SyntheticHost(shape, 1, NOW);
    const j = 40; // a Docker container
    const wasRunning = sut.isRunning(j);
    expect(sut.flipContainer(j, NOW + 5_000)).toBe(!wasRunning);
    const once = sut.container(j);
    expect(once.state).toBe(wasRunning ? 'exited' : 'running');
    sut.flipContainer(j, NOW + 9_000);
    const twice = sut.container(j);
    expect(twice.state).toBe(wasRunning ? 'running' : 'exited');
    expect(twice.startedAt).toBe(new Date(wasRunning ? NOW + 9_000 : NOW + 5_000).toISOString());
    expect(ContainerRecordSchema.safeParse(twice).success).toBe(true);
    const lxc = new SyntheticHost(shape, 1, NOW);
    const running = lxc.isRunning(0);
    lxc.flipContainer(0, NOW);
    expect(lxc.container(0).state).toBe(running ? 'stopped' : 'running');
  });

  it('renews a lease an hour from now, to the millisecond', () => {
    const sut = new SyntheticHost(shape, 2, NOW);
    sut.renewLease(3, NOW + 1234);
    const lease = sut.lease(3);
    expect(lease.expiresAt).toBe(new Date(NOW + 1234 + 3_600_000).toISOString());
    expect(lease.ip).toBe(sut.ipOf(3));
    expect(LeaseRecordSchema.safeParse(lease).success).toBe(true);
  });

  it('refuses a host index past the 10.0.0.0/8 address space', () => {
    expect(() => new SyntheticHost(shape, 300_000, NOW)).toThrow(/10\.0\.0\.0\/8/);
  });
});
