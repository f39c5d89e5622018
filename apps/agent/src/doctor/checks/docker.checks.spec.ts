import type { ContainerRecord, VolumeRecord } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { containersStuck, diskNearlyFull, dockerUnreachable, volumesUnused } from './docker.checks.js';
import { healthy, lxcContainer } from './facts.fixture.js';

const dockerContainer = (name: string, state: ContainerRecord['state']): ContainerRecord => ({
  ...lxcContainer(name, {}, null),
  runtime: 'docker',
  id: `${name}0123456789abcdef`,
  lxcPath: null,
  state,
  networks: [],
});
const volume = (name: string, usedBy: string[]): VolumeRecord => ({
  name,
  driver: 'local',
  mountpoint: null,
  labels: {},
  createdAt: null,
  usedBy,
});

describe('docker checks', () => {
  it('the engine does not answer on a socket that exists', () => {
    const down = {
      ipForward: true,
      runtimes: [{ name: 'docker' as const, available: false, version: null, reason: 'ECONNREFUSED' }],
    };
    expect(dockerUnreachable(healthy({ facts: down })).map((f) => f.id)).toEqual(['docker-unreachable']);
    // No socket: Docker is simply not installed.
    expect(dockerUnreachable(healthy({ facts: down, docker: { socket: '/x.sock', socketExists: false } }))).toEqual([]);
  });

  it('dead containers and containers stuck in removal', () => {
    const sut = containersStuck(
      healthy({
        containers: [dockerContainer('a', 'dead'), dockerContainer('b', 'removing'), dockerContainer('c', 'running')],
      }),
    );
    expect(sut.map((f) => f.check)).toEqual(['container-dead', 'container-removing']);
    expect(sut[0]!.fix?.command).toBe('docker rm -f a0123456789a');
  });

  it('a dangling volume, and one held only by stopped containers (every holder named)', () => {
    const f = healthy({
      containers: [
        dockerContainer('web', 'exited'),
        dockerContainer('old', 'created'),
        dockerContainer('live', 'running'),
      ],
      volumes: [volume('lonely', []), volume('data', ['web', 'old']), volume('busy', ['live', 'web'])],
    });
    const sut = volumesUnused(f);
    expect(sut.map((x) => x.id)).toEqual(['volume-dangling:lonely', 'volume-held:data']);
    expect(sut[1]!.message).toContain('old, web');
    expect(sut[1]!.fix?.command).toBe('docker rm old web && docker volume rm data');
  });

  it('a filesystem nearly full under an lxcpath', () => {
    const f = healthy({ disks: [{ path: '/var/lib/lxc', role: 'lxcpath', totalBytes: 1000, availableBytes: 20 }] });
    const sut = diskNearlyFull(f);
    expect(sut.map((x) => [x.id, x.severity])).toEqual([['disk-full:/var/lib/lxc', 'critical']]);
    expect(diskNearlyFull(healthy())).toEqual([]);
  });
});
