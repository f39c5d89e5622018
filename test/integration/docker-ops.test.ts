import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CommandError, type CommandOp, type CommandTarget, parseCommandParams } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCommandError } from '../../apps/agent/src/executor/errors.js';
import type { CommandContext, OpHandler } from '../../apps/agent/src/executor/handler.js';
import { JsonLogger } from '../../apps/agent/src/lib/logger.js';
import { createDockerOps } from '../../apps/agent/src/runtimes/docker/docker-ops.driver.js';
import { createDockerHandlers } from '../../apps/agent/src/runtimes/docker/ops/docker.handlers.js';
import { detectEngines, sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// Throws under CI when an engine is missing, so the whole file fails instead of skipping.
const engines = await detectEngines();
const logger = new JsonLogger('warn', { test: 'docker-ops' });
const suffix = randomBytes(4).toString('hex');
const name = (what: string) => `corral-test-ops-${suffix}-${what}`;
const TEST_LABELS = { 'corral.test': '1' };

interface Inspect {
  Id: string;
  Name: string;
  State: { Running: boolean; Paused: boolean; Status: string; ExitCode: number };
  Config: { Env: string[]; Labels: Record<string, string> };
  HostConfig: {
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    NetworkMode: string;
    RestartPolicy: { Name: string };
    Memory: number;
    NanoCpus: number;
  };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

const inspect = async (ref: string): Promise<Inspect> => JSON.parse(await sh('docker', ['inspect', ref]))[0];

describe.skipIf(!engines.docker)('docker op handlers against the real daemon', () => {
  const made = {
    containers: [] as string[],
    volumes: [] as string[],
    networks: [] as string[],
    images: [] as string[],
  };
  let server: Server;
  let uploads: Map<string, string>;
  let work: string;
  let handlers: ReturnType<typeof createDockerHandlers>;
  let hostDir: string;
  const volume = name('vol');
  const network = name('net');
  const main = name('main');
  // A /24 in 10.213.0.0/16 that no other network here uses.
  const third = 1 + (Number.parseInt(suffix.slice(0, 2), 16) % 250);
  const subnet = `10.213.${third}.0/24`;

  async function run<Op extends CommandOp>(
    op: Op,
    target: CommandTarget,
    params: Record<string, unknown> = {},
    extra: { signal?: AbortSignal; output?: [string, string][] } = {},
  ): Promise<Record<string, unknown>> {
    const parsed = parseCommandParams(op, params);
    if (!parsed.ok) throw new Error(parsed.message);
    const handler = handlers[op] as OpHandler<Op> | undefined;
    if (!handler) throw new Error(`no handler for ${op}`);
    const ctx: CommandContext<Op> = {
      id: randomUUID(),
      op,
      target,
      params: parsed.params,
      deadline: new Date(Date.now() + 60_000),
      signal: extra.signal ?? new AbortController().signal,
      output: (stream, chunk) => extra.output?.push([stream, chunk]),
      logger,
    };
    return handler(ctx);
  }

  async function failure(promise: Promise<unknown>): Promise<CommandError> {
    try {
      await promise;
    } catch (error) {
      return toCommandError(error);
    }
    throw new Error('expected the op to fail');
  }

  const container = (id: string): CommandTarget => ({ kind: 'container', runtime: 'docker', id, lxcPath: null });
  const host: CommandTarget = { kind: 'host' };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'corral-docker-ops-'));
    hostDir = await mkdtemp(path.join(tmpdir(), 'corral-docker-ops-bind-'));
    // A rootfs tarball, as a user would upload it: the busybox test image's file system.
    const exportFrom = name('export');
    made.containers.push(exportFrom);
    await sh('docker', ['create', '--name', exportFrom, '--label', 'corral.test=1', TEST_IMAGE, 'true']);
    await sh('docker', ['export', '-o', path.join(work, 'rootfs.tar'), exportFrom]);

    uploads = new Map([['up-1', path.join(work, 'rootfs.tar')]]);
    server = createServer((req, res) => {
      const id = decodeURIComponent(req.url?.replace('/api/v1/uploads/', '') ?? '');
      const file = uploads.get(id);
      if (req.method !== 'GET' || !req.url?.startsWith('/api/v1/uploads/') || !file) {
        res.writeHead(404).end();
        return;
      }
      stat(file).then((s) => {
        res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': s.size });
        createReadStream(file).pipe(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    handlers = createDockerHandlers(createDockerOps({ socketPath: '/var/run/docker.sock', timeoutMs: 30_000 }), {
      upload: { controllerUrl: `ws://127.0.0.1:${port}/agent` },
    });
  });

  afterAll(async () => {
    server?.close();
    const quiet = (cmd: string[]) => sh('docker', cmd).catch(() => '');
    if (made.containers.length > 0) await quiet(['rm', '-f', '-v', ...made.containers]);
    for (const n of made.networks) await quiet(['network', 'rm', n]);
    for (const v of made.volumes) await quiet(['volume', 'rm', '-f', v]);
    for (const i of made.images) await quiet(['rmi', '-f', i]);
    await rm(work, { recursive: true, force: true });
    await rm(hostDir, { recursive: true, force: true });
  });

  it('volume.create and network.create make labelled objects', async () => {
    made.volumes.push(volume);
    const vol = await run('volume.create', host, { name: volume, labels: TEST_LABELS });
    expect(vol).toMatchObject({ name: volume, driver: 'local' });
    const v = JSON.parse(await sh('docker', ['volume', 'inspect', volume]))[0];
    expect(v.Labels).toEqual({ 'corral.test': '1', 'corral.managed': 'true' });

    made.networks.push(network);
    const net = await run('network.create', host, {
      name: network,
      subnet,
      gateway: subnet.replace('0/24', '1'),
      labels: TEST_LABELS,
    });
    const n = JSON.parse(await sh('docker', ['network', 'inspect', network]))[0];
    expect(net).toEqual({ id: n.Id, name: network });
    expect(n.Driver).toBe('bridge');
    expect(n.IPAM.Config).toEqual([{ Subnet: subnet, Gateway: subnet.replace('0/24', '1') }]);
    expect(n.Labels).toEqual({ 'corral.test': '1', 'corral.managed': 'true' });
  });

  it('container.create applies image, command, env, labels, ports, mounts, network, restart policy and limits', async () => {
    made.containers.push(main);
    const result = await run('container.create', host, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name: main,
      command: ['sh', '-c', 'echo hello; echo oops >&2; exec sleep 600'],
      env: { FOO: 'bar' },
      labels: TEST_LABELS,
      ports: [{ containerPort: 80, hostIp: '127.0.0.1' }],
      mounts: [
        { source: volume, target: '/data' },
        { source: hostDir, target: '/host', readOnly: true },
      ],
      network,
      restartPolicy: 'unless-stopped',
      memoryBytes: 64 * 1024 * 1024,
      cpus: 0.5,
    });
    const info = await inspect(main);
    expect(result).toEqual({ id: info.Id, name: main });
    expect(info.State.Running).toBe(true);
    expect(info.Config.Env).toContain('FOO=bar');
    expect(info.Config.Labels).toMatchObject({ 'corral.test': '1', 'corral.managed': 'true' });
    expect(info.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(info.HostConfig.NetworkMode).toBe(network);
    expect(info.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    const mounts = Object.fromEntries(info.Mounts.map((m) => [m.Destination, m]));
    expect(mounts['/data']).toMatchObject({ Type: 'volume', Name: volume, RW: true });
    expect(mounts['/host']).toMatchObject({ Type: 'bind', Source: hostDir, RW: false });
    expect(info.NetworkSettings.Networks[network]?.IPAddress).toMatch(/^10\.213\./);
  });

  it('container.create without start leaves it created; a missing image is not_found', async () => {
    const idle = name('idle');
    made.containers.push(idle);
    await run('container.create', host, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name: idle,
      command: ['sleep', '600'],
      labels: TEST_LABELS,
      start: false,
    });
    expect((await inspect(idle)).State.Status).toBe('created');
    const error = await failure(
      run('container.create', host, {
        runtime: 'docker',
        image: `corral-test/missing-${suffix}:x`,
        labels: TEST_LABELS,
        // The default (missing) would pull from Docker Hub; never keeps the test on this machine.
        pull: 'never',
      }),
    );
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('No such image');
  });

  it('container.exec returns output and exit code, and streams the output', async () => {
    const output: [string, string][] = [];
    const result = await run(
      'container.exec',
      container(main),
      {
        command: ['sh', '-c', 'echo out; echo err >&2; echo "$FOO $(pwd) $(id -u)"; exit 3'],
        env: { FOO: 'x' },
        workdir: '/tmp',
        user: '65534',
      },
      { output },
    );
    expect(result).toEqual({ exitCode: 3, stdout: 'out\nx /tmp 65534\n', stderr: 'err\n', truncated: false });
    expect(
      output
        .filter(([s]) => s === 'stdout')
        .map(([, c]) => c)
        .join(''),
    ).toBe('out\nx /tmp 65534\n');
    expect(
      output
        .filter(([s]) => s === 'stderr')
        .map(([, c]) => c)
        .join(''),
    ).toBe('err\n');
  });

  it('container.exec caps each stream at maxOutputBytes and says it truncated', async () => {
    const result = await run('container.exec', container(main), {
      command: ['sh', '-c', 'yes 0123456789 | head -c 200000; echo short >&2'],
      maxOutputBytes: 1000,
    });
    expect(result.exitCode).toBe(0);
    expect((result.stdout as string).length).toBe(1000);
    expect(result.stderr).toBe('short\n');
    expect(result.truncated).toBe(true);
  });

  it('aborting container.exec kills the exec process within a few seconds', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const pending = run('container.exec', container(main), { command: ['sleep', '30'] }, { signal: abort.signal });
    await waitFor('the exec to run', async () => (await sh('docker', ['top', main])).includes('sleep 30'));
    abort.abort(new Error('cancel'));
    await pending.catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await sh('docker', ['top', main])).not.toContain('sleep 30');
  });

  it('container.exec with timeoutSeconds ends as timeout and kills the process', async () => {
    const error = await failure(
      run('container.exec', container(main), { command: ['sleep', '30'], timeoutSeconds: 1 }),
    );
    expect(error.code).toBe('timeout');
    await waitFor('the sleep to be gone', async () => !(await sh('docker', ['top', main])).includes('sleep 30'), 5_000);
    expect(await sh('docker', ['top', main])).not.toContain('sleep 30');
  });

  it('container.logs returns both streams, demultiplexed, with tail and timestamps', async () => {
    const result = await run('container.logs', container(main), { tail: 10 });
    expect(result).toEqual({ stdout: 'hello\n', stderr: 'oops\n', truncated: false });
    const stamped = await run('container.logs', container(main), { tail: 2, timestamps: true });
    expect(stamped.stdout as string).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z hello\n$/);
    const future = await run('container.logs', container(main), {
      since: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(future).toEqual({ stdout: '', stderr: '', truncated: false });
  });

  it('volume.remove is refused while a container uses the volume, naming it', async () => {
    const error = await failure(run('volume.remove', { kind: 'volume', name: volume }, { force: true }));
    expect(error.code).toBe('in_use');
    expect(error.message).toContain(main);
  });

  it('pause, unpause, stop, start, restart, kill and rename change the container as asked', async () => {
    const target = container(main);
    await run('container.pause', target);
    expect((await inspect(main)).State.Paused).toBe(true);
    expect((await failure(run('container.pause', target))).code).toBe('conflict');
    await run('container.unpause', target);
    expect((await inspect(main)).State.Paused).toBe(false);

    expect(await run('container.stop', target, { timeoutSeconds: 1 })).toEqual({ id: main, changed: true });
    expect((await inspect(main)).State.Running).toBe(false);
    expect(await run('container.stop', target, { timeoutSeconds: 1 })).toEqual({ id: main, changed: false });
    expect(await run('container.start', target)).toEqual({ id: main, changed: true });
    expect(await run('container.start', target)).toEqual({ id: main, changed: false });
    expect((await inspect(main)).State.Running).toBe(true);

    const before = await sh('docker', ['inspect', '-f', '{{.State.StartedAt}}', main]);
    await run('container.restart', target, { timeoutSeconds: 1 });
    expect(await sh('docker', ['inspect', '-f', '{{.State.StartedAt}}', main])).not.toBe(before);

    // The signal reaches the process: this one turns SIGTERM into exit code 7.
    const killme = name('killme');
    made.containers.push(killme);
    await run('container.create', host, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name: killme,
      command: ['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.2; done'],
      labels: TEST_LABELS,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await run('container.kill', container(killme), { signal: 'SIGTERM' })).toEqual({
      id: killme,
      signal: 'SIGTERM',
    });
    await waitFor('the container to exit', async () => !(await inspect(killme)).State.Running);
    expect((await inspect(killme)).State.ExitCode).toBe(7);
    await run('container.start', container(killme));
    await run('container.stop', container(killme), { kill: true });
    expect((await inspect(killme)).State.ExitCode).toBe(137);
    await run('container.remove', container(killme));

    const renamed = name('renamed');
    made.containers.push(renamed);
    expect(await run('container.rename', target, { name: renamed })).toEqual({ id: main, name: renamed });
    expect((await inspect(renamed)).Name).toBe(`/${renamed}`);
    await run('container.rename', container(renamed), { name: main });
  });

  it('network.connect with an address, then network.disconnect', async () => {
    const other = name('other');
    made.containers.push(other);
    await run('container.create', host, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name: other,
      command: ['sleep', '600'],
      labels: TEST_LABELS,
    });
    const ipv4 = subnet.replace('0/24', '77');
    const net: CommandTarget = { kind: 'network', id: network };
    await run('network.connect', net, { container: other, ipv4 });
    expect((await inspect(other)).NetworkSettings.Networks[network]?.IPAddress).toBe(ipv4);
    await run('network.disconnect', net, { container: other });
    expect((await inspect(other)).NetworkSettings.Networks[network]).toBeUndefined();
    await run('container.remove', container(other), { force: true });
  });

  it('container.remove, then the volume and the network can go', async () => {
    const id = (await inspect(main)).Id;
    expect((await failure(run('container.remove', container(main)))).code).toBe('conflict');
    expect(await run('container.remove', container(main), { force: true, volumes: true })).toEqual({ id: main });
    await expect(sh('docker', ['inspect', id])).rejects.toThrow();
    expect((await failure(run('container.start', container(id)))).code).toBe('not_found');

    expect(await run('volume.remove', { kind: 'volume', name: volume })).toEqual({ name: volume });
    expect(await sh('docker', ['volume', 'ls', '-q', '--filter', `name=${volume}`])).toBe('');
    expect((await failure(run('volume.remove', { kind: 'volume', name: volume }))).code).toBe('not_found');

    await run('network.remove', { kind: 'network', id: network });
    expect(await sh('docker', ['network', 'ls', '-q', '--filter', `name=${network}`])).toBe('');
  });

  it('volume.prune removes unused volumes Corral made and leaves others alone', async () => {
    const ours = name('prune-ours');
    const theirs = name('prune-theirs');
    made.volumes.push(ours, theirs);
    await run('volume.create', host, { name: ours, labels: TEST_LABELS });
    await sh('docker', ['volume', 'create', '--label', 'corral.test=1', theirs]);
    const result = await run('volume.prune', host);
    expect(result.removed).toContain(ours);
    expect(result.removed).not.toContain(theirs);
    expect(await sh('docker', ['volume', 'ls', '-q', '--filter', `name=${theirs}`])).toBe(theirs);
  });

  it('image.import streams an uploaded tarball into an image; tag, remove and prune follow', async () => {
    const repo = `corral-test/imported-${suffix}`;
    made.images.push(`${repo}:v1`, `${repo}:v2`);
    const first = await run('image.import', host, { uploadId: 'up-1', reference: `${repo}:v1` });
    const image = JSON.parse(await sh('docker', ['image', 'inspect', `${repo}:v1`]))[0];
    expect(first).toEqual({ id: image.Id, reference: `${repo}:v1` });
    made.images.push(image.Id);
    expect(image.Config.Labels).toMatchObject({ 'corral.managed': 'true' });
    expect(await sh('docker', ['run', '--rm', '--label', 'corral.test=1', `${repo}:v1`, 'echo', 'imported'])).toBe(
      'imported',
    );

    expect((await failure(run('image.import', host, { uploadId: 'nope', reference: `${repo}:x` }))).code).toBe(
      'not_found',
    );

    await run('image.tag', { kind: 'image', id: image.Id }, { reference: `${repo}:v2` });
    expect(JSON.parse(await sh('docker', ['image', 'inspect', `${repo}:v2`]))[0].Id).toBe(image.Id);
    const removed = await run('image.remove', { kind: 'image', id: `${repo}:v2` });
    expect(removed).toEqual({ id: `${repo}:v2`, untagged: [`${repo}:v2`], deleted: [] });

    // Importing v1 again leaves the first image without a tag: dangling, and ours, so prune takes it.
    const second = await run('image.import', host, { uploadId: 'up-1', reference: `${repo}:v1` });
    made.images.push(second.id as string);
    expect(second.id).not.toBe(image.Id);
    const pruned = await run('image.prune', host);
    expect(pruned.removed).toContain(image.Id);
    expect(pruned.spaceReclaimed).toEqual(expect.any(Number));
    await expect(sh('docker', ['image', 'inspect', image.Id])).rejects.toThrow();

    expect((await failure(run('image.remove', { kind: 'image', id: `${repo}:nope` }))).code).toBe('not_found');
  });
});
