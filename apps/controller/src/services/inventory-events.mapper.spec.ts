import type { ContainerState } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import type { RowChange } from '../repositories/inventory.repository.js';
import { bridgeTransition, containerTransition, inventoryEvent, leaseTransition } from './inventory-events.mapper.js';

describe('containerTransition', () => {
  const cases: [ContainerState, ContainerState, string][] = [
    ['created', 'running', 'container-started'],
    ['exited', 'running', 'container-started'],
    ['stopped', 'running', 'container-started'],
    ['starting', 'running', 'container-started'],
    ['restarting', 'running', 'container-started'],
    ['running', 'exited', 'container-stopped'],
    ['running', 'stopped', 'container-stopped'],
    ['running', 'dead', 'container-stopped'],
    ['stopping', 'stopped', 'container-stopped'],
    ['created', 'exited', 'container-stopped'],
    ['exited', 'dead', 'container-updated'],
    ['running', 'paused', 'container-paused'],
    ['paused', 'running', 'container-unpaused'],
    ['running', 'frozen', 'container-frozen'],
    ['freezing', 'frozen', 'container-frozen'],
    ['frozen', 'running', 'container-unfrozen'],
    ['frozen', 'thawed', 'container-unfrozen'],
    ['thawed', 'running', 'container-updated'],
    ['running', 'restarting', 'container-restarting'],
    ['stopped', 'starting', 'container-updated'],
    ['running', 'stopping', 'container-updated'],
    ['running', 'removing', 'container-updated'],
    ['running', 'running', 'container-updated'],
  ];

  const sut = containerTransition;

  it.each(cases)('%s -> %s is %s', (previous, next, expected) => {
    expect(sut(previous, next)).toBe(expected);
  });
});

describe('bridgeTransition', () => {
  const sut = bridgeTransition;

  it('names a change of up/down and calls anything else an update', () => {
    expect(sut({ up: true, state: 'UP' }, { up: true, state: 'DOWN' })).toBe('bridge-down');
    expect(sut({ up: true, state: 'DOWN' }, { up: true, state: 'UP' })).toBe('bridge-up');
    expect(sut({ up: true, state: 'UP' }, { up: false, state: 'UP' })).toBe('bridge-down');
    expect(sut({ up: true, state: 'UNKNOWN' }, { up: true, state: 'UP' })).toBe('bridge-updated');
    expect(sut({ up: true, state: 'UP' }, { up: true, state: 'UP' })).toBe('bridge-updated');
  });
});

describe('leaseTransition', () => {
  const sut = leaseTransition;

  it('is a renewal when the expiry moved, an update otherwise', () => {
    const t = new Date('2026-11-29T08:00:00.000Z');
    expect(sut(t, new Date('2026-11-29T09:00:00.000Z'))).toBe('lease-renewed');
    expect(sut(t, null)).toBe('lease-renewed');
    expect(sut(t, new Date(t.getTime()))).toBe('lease-updated');
    expect(sut(null, null)).toBe('lease-updated');
  });
});

describe('inventoryEvent', () => {
  const hostId = '2b0c8a2e-7d4b-4f25-9d0e-4a8f7f0c1e11';
  const container = (state: string) => ({ name: 'web-1', runtime: 'docker', state, ipv4: ['172.17.0.2'] });

  it('describes a container state change with the row id, both states and the address', () => {
    const change: RowChange = {
      change: 'updated',
      id: 'row-1',
      key: 'docker:abc',
      before: container('running'),
      after: container('exited'),
    };
    const sut = inventoryEvent('container', hostId, change);
    expect(sut).toEqual({
      type: 'container-stopped',
      kind: 'container',
      hostId,
      data: {
        id: 'row-1',
        key: 'docker:abc',
        name: 'web-1',
        runtime: 'docker',
        state: 'exited',
        previousState: 'running',
        ip: '172.17.0.2',
      },
    });
  });

  it('names created and removed rows by kind', () => {
    const created = (kind: 'image' | 'volume' | 'network' | 'bridge' | 'lease') =>
      inventoryEvent(kind, hostId, { change: 'created', id: 'r', key: 'k', before: null, after: {} }).type;
    expect(['image', 'volume', 'network', 'bridge', 'lease'].map((k) => created(k as 'image'))).toEqual([
      'image-added',
      'volume-created',
      'network-created',
      'bridge-added',
      'lease-added',
    ]);
    const removed = inventoryEvent('container', hostId, {
      change: 'removed',
      id: 'row-1',
      key: 'docker:abc',
      before: container('running'),
      after: null,
    });
    expect(removed).toMatchObject({ type: 'container-removed', data: { state: null, previousState: 'running' } });
  });

  it('gives a renewed lease both expiry times as ISO strings', () => {
    const lease = (expiresAt: Date) => ({ ip: '10.0.3.55', mac: '00:16:3e:aa:bb:cc', hostname: 'c1', expiresAt });
    const sut = inventoryEvent('lease', hostId, {
      change: 'updated',
      id: 'row-2',
      key: 'f#10.0.3.55',
      before: lease(new Date('2026-11-29T08:00:00.000Z')),
      after: lease(new Date('2026-11-29T09:00:00.000Z')),
    });
    expect(sut).toMatchObject({
      type: 'lease-renewed',
      data: {
        name: 'c1',
        ip: '10.0.3.55',
        expiresAt: '2026-11-29T09:00:00.000Z',
        previousExpiresAt: '2026-11-29T08:00:00.000Z',
      },
    });
  });
});

describe('doctor finding events', () => {
  const row = {
    findingId: 'ip-forward-off',
    severity: 'critical',
    message: 'net.ipv4.ip_forward is 0',
    fix: { command: 'sysctl -w net.ipv4.ip_forward=1', safe: true },
  };

  it('a finding appears, and clears, with what it was and its fix', () => {
    const appeared = inventoryEvent('finding', 'h1', {
      change: 'created',
      id: 'r',
      key: 'ip-forward-off',
      before: null,
      after: row,
    });
    expect(appeared).toEqual({
      type: 'finding-appeared',
      kind: 'finding',
      hostId: 'h1',
      data: {
        id: 'r',
        key: 'ip-forward-off',
        name: 'ip-forward-off',
        severity: 'critical',
        message: row.message,
        fix: row.fix,
      },
    });
    const cleared = inventoryEvent('finding', 'h1', {
      change: 'removed',
      id: 'r',
      key: 'ip-forward-off',
      before: row,
      after: null,
    });
    expect(cleared.type).toBe('finding-cleared');
    expect(cleared.data).toMatchObject({ name: 'ip-forward-off', severity: 'critical' });
  });
});
