import type { CorralEvent, Host } from '@corral/client';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUERY, FleetModel } from './fleet-model.js';

function host(id: string, hostname: string, over: Partial<Host> = {}): Host {
  return {
    id,
    agentId: id,
    hostname,
    status: 'online',
    stale: false,
    lastSeenAt: null,
    connectedAt: null,
    offlineAt: null,
    agentVersion: null,
    protocolVersion: null,
    facts: null,
    runtimes: [{ name: 'docker', available: true, version: '27', reason: null }],
    load: null,
    labels: {},
    agentLabels: {},
    effectiveLabels: {},
    cordoned: false,
    cordonedAt: null,
    cordonReason: null,
    counts: {
      containers: 1,
      images: 0,
      volumes: 0,
      networks: 0,
      bridges: 0,
      leases: 0,
      containersByState: { running: 1 },
    },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  } as Host;
}

const event = (type: string, hostId: string, data: Record<string, unknown> = {}): CorralEvent => ({
  id: 1,
  type,
  kind: type.split('-')[0]!,
  hostId,
  at: '2026-01-01T00:00:00.000Z',
  data,
});

describe('FleetModel', () => {
  it('moves container counts between states and follows host status', () => {
    const sut = new FleetModel();
    sut.upsert([host('a', 'alpha')]);
    expect(sut.applyEvent(event('container-created', 'a', { state: 'created' }))).toBe('changed');
    expect(sut.applyEvent(event('container-started', 'a', { state: 'running', previousState: 'created' }))).toBe(
      'changed',
    );
    sut.applyEvent(event('container-stopped', 'a', { state: 'exited', previousState: 'running' }));
    sut.applyEvent(event('image-added', 'a'));
    sut.applyEvent(event('host-offline', 'a'));
    const a = sut.hosts.get('a')!;
    expect(a.counts.containers).toBe(2);
    expect(a.counts.containersByState).toEqual({ running: 1, exited: 1 });
    expect(a.counts.images).toBe(1);
    expect(a.status).toBe('offline');
    expect(sut.applyEvent(event('container-removed', 'a', { state: 'exited' }))).toBe('changed');
    expect(sut.hosts.get('a')!.counts.containersByState).toEqual({ running: 1 });
  });

  it('drops hosts a full read no longer lists', () => {
    const sut = new FleetModel();
    sut.upsert([host('a', 'alpha'), host('b', 'beta')]);
    const before = sut.version;
    sut.retain(new Set(['b']));
    expect([...sut.hosts.keys()]).toEqual(['b']);
    expect(sut.version).toBeGreaterThan(before);
  });

  it('asks for hosts it does not know and ignores unrelated events', () => {
    const sut = new FleetModel();
    expect(sut.applyEvent(event('container-created', 'x', { state: 'running' }))).toBe('unknown-host');
    sut.upsert([host('a', 'alpha')]);
    expect(sut.applyEvent(event('container-updated', 'a', { state: 'running', previousState: 'running' }))).toBe(
      'none',
    );
  });

  it('filters by text in hostname or labels, status and cordon, and sorts either way', () => {
    const sut = new FleetModel();
    sut.upsert([
      host('a', 'alpha', { effectiveLabels: { zone: 'eu' } }),
      host('b', 'beta', { status: 'offline', stale: true }),
      host('c', 'gamma', { cordoned: true, counts: { ...host('c', 'c').counts, containers: 9 } }),
    ]);
    expect(sut.view({ ...DEFAULT_QUERY, text: 'zone=eu' }).map((h) => h.hostname)).toEqual(['alpha']);
    expect(sut.view({ ...DEFAULT_QUERY, status: 'offline' }).map((h) => h.hostname)).toEqual(['beta']);
    expect(sut.view({ ...DEFAULT_QUERY, cordoned: 'yes' }).map((h) => h.hostname)).toEqual(['gamma']);
    expect(sut.view({ ...DEFAULT_QUERY, sort: 'containers', dir: 'desc' }).map((h) => h.hostname)).toEqual([
      'gamma',
      'alpha',
      'beta',
    ]);
    expect(sut.view({ ...DEFAULT_QUERY, dir: 'desc' }).map((h) => h.hostname)).toEqual(['gamma', 'beta', 'alpha']);
  });
});
