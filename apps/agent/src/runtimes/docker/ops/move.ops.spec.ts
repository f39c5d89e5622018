import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { specOf } from './move.ops.js';

const info = {
  Name: '/app',
  Image: 'sha256:abc',
  Config: {
    Image: 'corral-test/app:1',
    Cmd: ['sleep', '3600'],
    Env: ['PATH=/usr/bin:/bin', 'GREETING=hello=world'],
    Labels: { 'corral.test': '1', 'corral.managed': 'true', 'org.image': 'x' },
  },
  HostConfig: {
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    NetworkMode: 'bridge',
    RestartPolicy: { Name: 'unless-stopped' },
    Memory: 64 * 1024 * 1024,
    NanoCpus: 500_000_000,
  },
  Mounts: [
    { Type: 'volume', Name: 'data', Source: '/var/lib/docker/volumes/data/_data', Destination: '/data', RW: true },
    { Type: 'bind', Source: '/srv/conf', Destination: '/conf', RW: false },
  ],
} as unknown as Dockerode.ContainerInspectInfo;
const image = { Config: { Env: ['PATH=/usr/bin:/bin'], Labels: { 'org.image': 'x' } } };

describe('the create spec of an inspected Docker container', () => {
  it('keeps what the container was given and leaves what the image sets to the image', () => {
    const sut = specOf(info, image);
    expect(sut.spec).toEqual({
      runtime: 'docker',
      image: 'corral-test/app:1',
      name: 'app',
      command: ['sleep', '3600'],
      env: { GREETING: 'hello=world' },
      labels: { 'corral.test': '1' },
      ports: [
        { containerPort: 80, protocol: 'tcp', hostPort: 8080 },
        { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' },
      ],
      mounts: [
        { source: 'data', target: '/data', readOnly: false },
        { source: '/srv/conf', target: '/conf', readOnly: true },
      ],
      restartPolicy: 'unless-stopped',
      memoryBytes: 64 * 1024 * 1024,
      cpus: 0.5,
      start: true,
    });
    expect(sut.volumes).toEqual(['data']);
    expect(sut.binds).toEqual(['/srv/conf']);
  });

  it('names a user network and maps an unknown restart policy to no', () => {
    const custom = { ...info, HostConfig: { ...info.HostConfig, NetworkMode: 'backend', RestartPolicy: { Name: '' } } };
    const sut = specOf(custom as Dockerode.ContainerInspectInfo, null);
    expect(sut.spec).toMatchObject({ network: 'backend', restartPolicy: 'no' });
    expect(sut.spec.env).toEqual({ PATH: '/usr/bin:/bin', GREETING: 'hello=world' });
  });
});
