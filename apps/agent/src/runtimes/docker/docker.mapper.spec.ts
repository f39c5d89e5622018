import { readFileSync } from 'node:fs';
import { ContainerRecordSchema, ImageRecordSchema, NetworkRecordSchema, VolumeRecordSchema } from '@corral/protocol';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  bridgeLookup,
  containerStatus,
  dockerTime,
  mapContainer,
  mapContainerState,
  mapImage,
  mapNetwork,
  mapVolume,
  networkBridge,
  pickInspectDetail,
  type VolumeInfo,
  volumeUsers,
} from './docker.mapper.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../../../../test/fixtures/docker/${name}`, import.meta.url), 'utf8')) as T;

const containers = fixture<Dockerode.ContainerInfo[]>('containers.list.json');
const networks = fixture<Dockerode.NetworkInspectInfo[]>('networks.list.json');
const running = containers.find((c) => c.Names[0] === '/fix1')!;
const created = containers.find((c) => c.Names[0] === '/fix2')!;

describe('docker mapping', () => {
  it('maps a running container with ports, a volume and two bridge networks', () => {
    const detail = pickInspectDetail(fixture<Dockerode.ContainerInspectInfo>('container.inspect.running.json'));
    const sut = mapContainer(running, detail, bridgeLookup(networks));
    expect(ContainerRecordSchema.parse(sut)).toEqual(sut);
    expect(sut).toEqual({
      runtime: 'docker',
      id: '6c28c2aacc84cf0eada5239a8d3511f7b6a27ce1665fa9b21b40072868d47526',
      name: 'fix1',
      lxcPath: null,
      image: 'corral-test/busybox:latest',
      imageId: 'sha256:ff955d0d24c5e6ec1cfb85d3027ec76efdcb640a8a30c2866a2c6b985e92344e',
      command: 'sleep 3600',
      state: 'running',
      status: 'running',
      createdAt: '2026-11-29T06:49:21.000Z',
      startedAt: '2026-11-29T06:49:21.925Z',
      labels: { 'corral.test': '1' },
      ports: [
        { privatePort: 80, publicPort: 18080, protocol: 'tcp', hostIp: '0.0.0.0' },
        { privatePort: 80, publicPort: 18080, protocol: 'tcp', hostIp: '::' },
      ],
      mounts: [
        {
          type: 'volume',
          name: 'fixvol',
          source: '/var/lib/docker/volumes/fixvol/_data',
          destination: '/data',
          readOnly: false,
        },
      ],
      networks: [
        { name: 'bridge', ipv4: '172.17.0.2', ipv6: null, mac: '02:42:ac:11:00:02', bridge: 'docker0' },
        { name: 'fixnet', ipv4: '172.18.0.2', ipv6: null, mac: '02:42:ac:12:00:02', bridge: 'br-50a0e3083e7b' },
      ],
      ipv4: ['172.17.0.2', '172.18.0.2'],
      ipv6: [],
      restartPolicy: 'unless-stopped',
      pid: 10868,
      autostart: null,
      groups: [],
      memoryBytes: null,
    });
  });

  it('maps a created container: no start time, no pid, no addresses', () => {
    const detail = pickInspectDetail(fixture<Dockerode.ContainerInspectInfo>('container.inspect.created.json'));
    const sut = mapContainer(created, detail, bridgeLookup(networks));
    expect(ContainerRecordSchema.parse(sut)).toEqual(sut);
    expect(sut).toMatchObject({
      name: 'fix2',
      state: 'created',
      status: 'created',
      startedAt: null,
      pid: null,
      restartPolicy: 'no',
    });
    // The endpoint has no network id before start; the name still finds the bridge.
    expect(sut.networks).toEqual([{ name: 'bridge', ipv4: null, ipv6: null, mac: null, bridge: 'docker0' }]);
    expect(sut.ipv4).toEqual([]);
  });

  it('maps without inspect detail when none is available', () => {
    const sut = mapContainer(running, null, new Map());
    expect(sut).toMatchObject({ startedAt: null, pid: null, restartPolicy: null });
    expect(sut.networks.map((n) => n.bridge)).toEqual([null, null]);
  });

  it('derives a status without durations from the state, exit code and health', () => {
    const inspect = fixture<Dockerode.ContainerInspectInfo>('container.inspect.running.json');
    const detail = (state: Partial<Dockerode.ContainerInspectInfo['State']>) =>
      pickInspectDetail({ ...inspect, State: { ...inspect.State, ...state } });
    expect(containerStatus('running', detail({}))).toBe('running');
    expect(containerStatus('running', detail({ Health: { Status: 'healthy', FailingStreak: 0, Log: [] } }))).toBe(
      'running (healthy)',
    );
    expect(containerStatus('running', detail({ Health: { Status: 'unhealthy', FailingStreak: 3, Log: [] } }))).toBe(
      'running (unhealthy)',
    );
    expect(containerStatus('running', detail({ Health: { Status: 'starting', FailingStreak: 0, Log: [] } }))).toBe(
      'running (health: starting)',
    );
    expect(containerStatus('exited', detail({ Running: false, ExitCode: 137 }))).toBe('exited (137)');
    expect(containerStatus('exited', detail({ Running: false, ExitCode: 0 }))).toBe('exited (0)');
    expect(containerStatus('restarting', detail({ Restarting: true, ExitCode: 1 }))).toBe('restarting (1)');
    expect(containerStatus('paused', detail({ Paused: true }))).toBe('paused');
    expect(['created', 'dead', 'removing'].map((s) => containerStatus(s, detail({})))).toEqual([
      'created',
      'dead',
      'removing',
    ]);
    expect(containerStatus('exited', null)).toBe('exited');
    expect(containerStatus('Running', null)).toBe('running');
  });

  it('gives the same record whatever order Docker lists ports and mounts in', () => {
    const detail = pickInspectDetail(fixture<Dockerode.ContainerInspectInfo>('container.inspect.running.json'));
    const shuffled: Dockerode.ContainerInfo = {
      ...running,
      Ports: [
        { IP: '::', PrivatePort: 82, PublicPort: 18082, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 81, PublicPort: 18081, Type: 'udp' },
        ...[...running.Ports].reverse(),
        { IP: '0.0.0.0', PrivatePort: 81, PublicPort: 18081, Type: 'tcp' },
      ],
      Mounts: [
        { ...running.Mounts[0]!, Name: 'other', Destination: '/other' },
        ...running.Mounts,
        { ...running.Mounts[0]!, Type: 'bind', Name: undefined, Destination: '/a' },
      ],
    };
    const sut = mapContainer(shuffled, detail, bridgeLookup(networks));
    expect(sut.ports.map((p) => `${p.privatePort}/${p.protocol} ${p.hostIp}`)).toEqual([
      '80/tcp 0.0.0.0',
      '80/tcp ::',
      '81/tcp 0.0.0.0',
      '81/udp 0.0.0.0',
      '82/tcp ::',
    ]);
    expect(sut.mounts.map((m) => m.destination)).toEqual(['/a', '/data', '/other']);
    const reversed = mapContainer(
      { ...shuffled, Ports: [...shuffled.Ports].reverse(), Mounts: [...shuffled.Mounts].reverse() },
      detail,
      bridgeLookup(networks),
    );
    expect(reversed).toEqual(sut);
  });

  it('maps Docker states and an unknown one', () => {
    expect(['running', 'Exited', 'dead', 'removing', 'paused', 'weird'].map(mapContainerState)).toEqual([
      'running',
      'exited',
      'dead',
      'removing',
      'paused',
      'unknown',
    ]);
  });

  it('formats on-failure with its retry count', () => {
    const inspect = fixture<Dockerode.ContainerInspectInfo>('container.inspect.running.json');
    inspect.HostConfig.RestartPolicy = { Name: 'on-failure', MaximumRetryCount: 3 };
    expect(pickInspectDetail(inspect).restartPolicy).toBe('on-failure:3');
  });

  it('maps networks with their host bridge', () => {
    const sut = networks.map(mapNetwork);
    for (const n of sut) NetworkRecordSchema.parse(n);
    expect(sut.find((n) => n.name === 'bridge')).toMatchObject({
      driver: 'bridge',
      bridge: 'docker0',
      subnets: ['172.17.0.0/16'],
      gateways: [],
      internal: false,
      createdAt: '2026-11-29T06:47:06.303Z',
    });
    expect(sut.find((n) => n.name === 'fixnet')).toMatchObject({
      bridge: 'br-50a0e3083e7b',
      subnets: ['172.18.0.0/16'],
      gateways: ['172.18.0.1'],
      labels: { 'corral.test': '1' },
    });
    expect(sut.find((n) => n.name === 'host')).toMatchObject({ bridge: null, subnets: [], scope: 'local' });
  });

  it('prefers the bridge name option of a user network', () => {
    const net = { ...networks[3]!, Options: { 'com.docker.network.bridge.name': 'corral0' } };
    expect(networkBridge(net)).toBe('corral0');
  });

  it('maps images, dropping the dangling placeholder tag', () => {
    const [image] = fixture<Dockerode.ImageInfo[]>('images.list.json').map(mapImage);
    expect(ImageRecordSchema.parse(image)).toEqual({
      id: 'sha256:ff955d0d24c5e6ec1cfb85d3027ec76efdcb640a8a30c2866a2c6b985e92344e',
      tags: ['corral-test/busybox:latest'],
      repoDigests: [],
      sizeBytes: 1984162,
      createdAt: '2026-11-29T06:47:07.000Z',
      labels: {},
    });
    const dangling = mapImage({
      ...fixture<Dockerode.ImageInfo[]>('images.list.json')[0]!,
      RepoTags: ['<none>:<none>'],
    });
    expect(dangling.tags).toEqual([]);
  });

  it('maps volumes with the containers using them', () => {
    const { Volumes } = fixture<{ Volumes: VolumeInfo[] }>('volumes.list.json');
    const sut = mapVolume(Volumes[0]!, volumeUsers(containers));
    expect(VolumeRecordSchema.parse(sut)).toEqual({
      name: 'fixvol',
      driver: 'local',
      mountpoint: '/var/lib/docker/volumes/fixvol/_data',
      labels: { 'corral.test': '1' },
      createdAt: '2026-11-29T06:49:21.000Z',
      usedBy: ['fix1'],
    });
  });

  it('reads Docker zero time as null', () => {
    expect(dockerTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(dockerTime('')).toBeNull();
    expect(dockerTime('garbage')).toBeNull();
  });
});
