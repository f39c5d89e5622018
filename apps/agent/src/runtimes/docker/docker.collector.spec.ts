import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { DockerCollector } from './docker.collector.js';
import type { DockerDriver } from './docker.driver.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../../../../test/fixtures/docker/${name}`, import.meta.url), 'utf8')) as T;

interface FakeDocker {
  driver: DockerDriver;
  inspect: ReturnType<typeof vi.fn>;
  streams: PassThrough[];
  fail: { list?: Error; inspect?: Error & { statusCode?: number }; events?: Error; version?: Error };
}

function fakeDocker(): FakeDocker {
  const fail: FakeDocker['fail'] = {};
  const streams: PassThrough[] = [];
  const inspects: Record<string, Dockerode.ContainerInspectInfo> = {
    '6c28c2aacc84cf0eada5239a8d3511f7b6a27ce1665fa9b21b40072868d47526': fixture('container.inspect.running.json'),
    b3b9761b8c27190bb56bd0c68b81f21e80e6a7be4fbe87ee8c752f649fe7a883: fixture('container.inspect.created.json'),
  };
  const inspect = vi.fn(async (id: string) => {
    if (fail.inspect) throw fail.inspect;
    return inspects[id]!;
  });
  const listed = <T>(name: string) =>
    vi.fn(async () => {
      if (fail.list) throw fail.list;
      return fixture<T>(name);
    });
  const driver = {
    listContainers: listed('containers.list.json'),
    listNetworks: listed('networks.list.json'),
    listImages: listed('images.list.json'),
    listVolumes: listed('volumes.list.json'),
    getContainer: (id: string) => ({ inspect: () => inspect(id) }),
    version: vi.fn(async () => {
      if (fail.version) throw fail.version;
      return fixture('version.json');
    }),
    getEvents: vi.fn(async () => {
      if (fail.events) throw fail.events;
      const stream = new PassThrough();
      streams.push(stream);
      return stream;
    }),
  } as unknown as DockerDriver;
  return { driver, inspect, streams, fail };
}

describe('DockerCollector', () => {
  it('collects containers, networks, images and volumes', async () => {
    const docker = fakeDocker();
    const sut = new DockerCollector({ driver: docker.driver, logger: silentLogger });
    const out = await sut.collect();
    expect(out.containers!.map((c) => [c.name, c.state, c.pid])).toEqual([
      ['fix2', 'created', null],
      ['fix1', 'running', 10868],
    ]);
    expect(out.networks!.map((n) => n.name)).toEqual(['none', 'host', 'bridge', 'fixnet']);
    expect(out.images).toHaveLength(1);
    expect(out.volumes![0]!.usedBy).toEqual(['fix1']);
  });

  it('reuses inspect results while a container keeps its state, and refreshes after its events', async () => {
    const docker = fakeDocker();
    const sut = new DockerCollector({ driver: docker.driver, logger: silentLogger });
    await sut.collect();
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(2);
    const stop = sut.watch(() => {});
    await vi.waitFor(() => expect(docker.streams).toHaveLength(1));
    const id = '6c28c2aacc84cf0eada5239a8d3511f7b6a27ce1665fa9b21b40072868d47526';
    docker.streams[0]!.write(`${JSON.stringify({ Type: 'container', Action: 'update', Actor: { ID: id } })}\n`);
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(3);
    expect(docker.inspect).toHaveBeenLastCalledWith(id);
    stop();
  });

  it('after a command, inspects again only the containers it names (all of them when none are named)', async () => {
    const docker = fakeDocker();
    const sut = new DockerCollector({ driver: docker.driver, logger: silentLogger });
    const running = '6c28c2aacc84cf0eada5239a8d3511f7b6a27ce1665fa9b21b40072868d47526';
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(2);
    sut.invalidate([running]);
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(3);
    expect(docker.inspect).toHaveBeenLastCalledWith(running);
    sut.invalidate([]);
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(3);
    sut.invalidate();
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(5);
  });

  it('does not keep an inspect answer that was in flight when its container was invalidated', async () => {
    const docker = fakeDocker();
    const running = '6c28c2aacc84cf0eada5239a8d3511f7b6a27ce1665fa9b21b40072868d47526';
    const answer = docker.inspect.getMockImplementation() as (id: string) => Promise<unknown>;
    let release: () => void = () => {};
    let gated = false;
    docker.inspect.mockImplementation(async (id: string) => {
      if (id === running && !gated) {
        gated = true;
        await new Promise<void>((r) => {
          release = r;
        });
      }
      return answer(id);
    });
    const sut = new DockerCollector({ driver: docker.driver, logger: silentLogger });
    const first = sut.collect();
    await vi.waitFor(() => expect(gated).toBe(true));
    // A restart finished while the inspect was on its way: its answer may predate the restart.
    sut.invalidate([running]);
    release();
    await first;
    docker.inspect.mockClear();
    await sut.collect();
    expect(docker.inspect.mock.calls).toEqual([[running]]);
  });

  it('inspects again when the exit code or health in the Status text changed, even without an event', async () => {
    const docker = fakeDocker();
    const list = fixture<Dockerode.ContainerInfo[]>('containers.list.json');
    docker.driver.listContainers = vi.fn(async () => list) as unknown as DockerDriver['listContainers'];
    const sut = new DockerCollector({ driver: docker.driver, logger: silentLogger });
    await sut.collect();
    list[1]!.Status = 'Up 4 minutes';
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(2);
    list[1]!.Status = 'Up 5 minutes (healthy)';
    await sut.collect();
    expect(docker.inspect).toHaveBeenCalledTimes(3);
    expect(docker.inspect).toHaveBeenLastCalledWith(list[1]!.Id);
  });

  it('drops a container removed between list and inspect', async () => {
    const docker = fakeDocker();
    docker.fail.inspect = Object.assign(new Error('no such container'), { statusCode: 404 });
    const sut = new DockerCollector({ driver: docker.driver, logger: silentLogger });
    expect((await sut.collect()).containers).toEqual([]);
  });

  it('throws on other failures rather than reporting nothing', async () => {
    const docker = fakeDocker();
    docker.fail.inspect = Object.assign(new Error('socket hang up'), { statusCode: 500 });
    const sut = new DockerCollector({ driver: docker.driver, logger: silentLogger });
    await expect(sut.collect()).rejects.toThrow(/could not inspect container .*socket hang up/);
    docker.fail.list = new Error('connect ECONNREFUSED');
    await expect(sut.collect()).rejects.toThrow('Docker: could not list state: connect ECONNREFUSED');
  });

  it('probe reports the version, a missing socket, or an unreachable daemon', async () => {
    const docker = fakeDocker();
    expect(await new DockerCollector({ driver: docker.driver, logger: silentLogger }).probe()).toEqual({
      name: 'docker',
      available: true,
      version: '20.10.24+dfsg1',
      reason: null,
    });
    const missing = new DockerCollector({
      driver: docker.driver,
      logger: silentLogger,
      socketPath: '/nonexistent/docker.sock',
    });
    expect(await missing.probe()).toMatchObject({
      available: false,
      reason: 'Docker socket /nonexistent/docker.sock not found',
    });
    docker.fail.version = new Error('connect ECONNREFUSED');
    const down = await new DockerCollector({ driver: docker.driver, logger: silentLogger }).probe();
    expect(down).toMatchObject({ available: false, reason: 'Docker daemon unreachable: connect ECONNREFUSED' });
  });

  it('watch signals relevant events and reconnects when the stream ends', async () => {
    const docker = fakeDocker();
    const sut = new DockerCollector({
      driver: docker.driver,
      logger: silentLogger,
      reconnect: { baseMs: 10, maxMs: 20 },
    });
    const onChange = vi.fn();
    const stop = sut.watch(onChange);
    await vi.waitFor(() => expect(docker.streams).toHaveLength(1));
    docker.streams[0]!.write('{"Type":"container","Action":"exec_start: ls","Actor":{"ID":"x"}}\n');
    docker.streams[0]!.write('{"Type":"container","Action":"start","Actor":{"ID":"x"}}\n');
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(1));
    docker.streams[0]!.end();
    await vi.waitFor(() => expect(docker.streams).toHaveLength(2));
    // Once when the stream was lost, once after reconnecting.
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(3));
    stop();
  });

  it('watch keeps retrying while the daemon is away, without throwing', async () => {
    const docker = fakeDocker();
    docker.fail.events = new Error('connect ENOENT /var/run/docker.sock');
    const sut = new DockerCollector({
      driver: docker.driver,
      logger: silentLogger,
      reconnect: { baseMs: 5, maxMs: 10 },
    });
    const stop = sut.watch(() => {});
    await vi.waitFor(() => expect(vi.mocked(docker.driver.getEvents).mock.calls.length).toBeGreaterThan(2));
    docker.fail.events = undefined;
    await vi.waitFor(() => expect(docker.streams).toHaveLength(1));
    stop();
    const calls = vi.mocked(docker.driver.getEvents).mock.calls.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(vi.mocked(docker.driver.getEvents).mock.calls.length).toBe(calls);
  });
});
