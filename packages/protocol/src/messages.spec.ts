import { describe, expect, it } from 'vitest';
import { recordKey } from './keys.js';
import { parseAgentMessage, parseControllerMessage } from './parse.js';
import { sampleDockerContainer, sampleFacts, sampleLease, sampleLxcContainer } from './samples.js';
import { isCompatibleVersion, PROTOCOL_VERSION } from './version.js';

const hello = {
  type: 'hello',
  protocolVersion: PROTOCOL_VERSION,
  agentId: '7d0c7a43-5f43-4d0e-9a51-7c0f2f1f5b11',
  hostname: 'h1',
  agentVersion: '0.1.0',
  runtimes: sampleFacts.runtimes,
  lastAckedSeq: 0,
  capabilities: [],
};

const snapshot = {
  type: 'snapshot',
  seq: 1,
  facts: sampleFacts,
  containers: [sampleDockerContainer, sampleLxcContainer],
  images: [{ id: 'sha256:abc', tags: ['busybox:latest'], sizeBytes: 1_000_000, createdAt: null, labels: {} }],
  volumes: [
    {
      name: 'data',
      driver: 'local',
      mountpoint: '/var/lib/docker/volumes/data/_data',
      labels: {},
      createdAt: '2026-11-29T07:00:00Z',
      usedBy: ['web-1'],
    },
  ],
  networks: [
    {
      id: 'n1',
      name: 'bridge',
      driver: 'bridge',
      scope: 'local',
      subnets: ['172.17.0.0/16'],
      gateways: ['172.17.0.1'],
      bridge: 'docker0',
      internal: false,
      labels: {},
      createdAt: null,
    },
  ],
  bridges: [
    {
      name: 'lxcbr0',
      mac: '00:16:3e:00:00:00',
      state: 'UP',
      up: true,
      mtu: 1500,
      addresses: [{ family: 'inet', address: '10.0.3.1', prefixLength: 24 }],
      stp: false,
      interfaces: ['vethAbc'],
    },
  ],
  leases: [sampleLease],
};

const delta = {
  type: 'delta',
  seq: 2,
  changes: [
    { op: 'upsert', kind: 'container', record: sampleLxcContainer },
    { op: 'remove', kind: 'lease', key: recordKey('lease', sampleLease) },
    { op: 'upsert', kind: 'facts', record: sampleFacts },
  ],
};

const heartbeat = {
  type: 'heartbeat',
  at: '2026-11-29T07:00:00.000Z',
  load: { load1: 0.1, load5: 0.2, load15: 0.3, memoryAvailableBytes: 1000, uptimeSeconds: 10 },
};

const agentSamples = { hello, snapshot, delta, heartbeat };

describe('agent messages', () => {
  it.each(Object.entries(agentSamples))('accepts a real %s', (_name, sample) => {
    const sut = parseAgentMessage(JSON.stringify(sample));
    expect(sut.ok).toBe(true);
  });

  it.each([
    ['hello', { ...hello, agentId: 'x' }, 'agentId'],
    ['hello', { ...hello, lastAckedSeq: -1 }, 'lastAckedSeq'],
    ['hello', { ...hello, labels: { 'zone=eu': 'x' } }, 'labels'],
    ['hello', { ...hello, labels: { zone: 'e u' } }, 'labels.zone'],
    ['snapshot', { ...snapshot, containers: [{ ...sampleDockerContainer, state: 'sleeping' }] }, 'containers[0].state'],
    ['snapshot', { ...snapshot, leases: [{ ...sampleLease, ip: 42 }] }, 'leases[0].ip'],
    ['snapshot', { ...snapshot, facts: { ...sampleFacts, cpuCount: 0 } }, 'facts.cpuCount'],
    ['delta', { ...delta, changes: [] }, 'changes'],
    ['delta', { ...delta, changes: [{ op: 'remove', kind: 'container' }] }, 'changes[0].key'],
    ['delta', { ...delta, changes: [{ op: 'upsert', kind: 'volume', record: { name: '' } }] }, 'changes[0].record'],
    ['heartbeat', { ...heartbeat, at: 'yesterday' }, 'at'],
  ])('rejects a broken %s naming %s', (type, sample, field) => {
    const sut = parseAgentMessage(JSON.stringify(sample));
    expect(sut.ok).toBe(false);
    if (sut.ok) return;
    expect(sut.error.code).toBe('invalid_message');
    expect(sut.error.field?.startsWith(field)).toBe(true);
    expect(sut.error.message).toContain(type);
    expect(sut.error.message).toContain(field);
  });

  it('takes labels in hello, and none from an agent that sends none', () => {
    const sut = parseAgentMessage(JSON.stringify({ ...hello, labels: { zone: 'eu', 'disk.kind': 'ssd', gpu: '' } }));
    const older = parseAgentMessage(JSON.stringify(hello));
    expect(sut.ok && sut.message.type === 'hello' && sut.message.labels).toEqual({
      zone: 'eu',
      'disk.kind': 'ssd',
      gpu: '',
    });
    expect(older.ok && older.message.type === 'hello' && older.message.labels).toEqual({});
  });

  it('rejects non-JSON, non-objects and unknown types with distinct codes', () => {
    const notJson = parseAgentMessage('{oops');
    const array = parseAgentMessage('[1,2]');
    const unknown = parseAgentMessage('{"type":"launch-missiles"}');
    expect(!notJson.ok && notJson.error.code).toBe('invalid_json');
    expect(!array.ok && array.error.code).toBe('invalid_message');
    expect(!unknown.ok && unknown.error.code).toBe('unknown_message_type');
    expect(!unknown.ok && unknown.error.message).toContain('launch-missiles');
  });
});

describe('controller messages', () => {
  it('accepts welcome, ack and snapshot.request', () => {
    const welcome = {
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      hostId: 'h',
      heartbeatIntervalMs: 1000,
      lastSeq: 3,
      needSnapshot: false,
    };
    expect(parseControllerMessage(JSON.stringify(welcome)).ok).toBe(true);
    expect(parseControllerMessage('{"type":"ack","seq":4}').ok).toBe(true);
    expect(parseControllerMessage('{"type":"snapshot.request","reason":"gap"}').ok).toBe(true);
  });

  it('rejects an ack without a sequence number', () => {
    const sut = parseControllerMessage('{"type":"ack"}');
    expect(!sut.ok && sut.error.field).toBe('seq');
  });
});

describe('protocol version', () => {
  it('speaks the same major and refuses another', () => {
    expect(isCompatibleVersion('1.7', '1.0')).toBe(true);
    expect(isCompatibleVersion('2.0', '1.0')).toBe(false);
    expect(isCompatibleVersion('one', '1.0')).toBe(false);
  });
});

describe('recordKey', () => {
  it('distinguishes docker and lxc containers and lxcpaths', () => {
    expect(recordKey('container', sampleDockerContainer)).toBe(`docker:${sampleDockerContainer.id}`);
    expect(recordKey('container', sampleLxcContainer)).toBe('lxc:/var/lib/lxc/c1');
    expect(recordKey('container', { ...sampleLxcContainer, lxcPath: '/srv/lxc' })).toBe('lxc:/srv/lxc/c1');
  });
});
