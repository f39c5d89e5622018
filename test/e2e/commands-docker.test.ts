import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corral, type Page } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';

// Every Docker operation through the HTTP API on the real engine, checked with docker inspect.
describe('Docker operations through the API', () => {
  const corral = new Corral();
  const t = corral.tag;
  const names = {
    web: `corral-test-web-${t}`,
    renamed: `corral-test-web2-${t}`,
    vol: `corral-test-vol-${t}`,
    net: `corral-test-net-${t}`,
    image: `corral-test/imported-${t}:v1`,
    retag: `corral-test/imported-${t}:v2`,
  };
  let containerId = '';

  const inspect = async (name: string) => JSON.parse(await sh('docker', ['inspect', name]))[0];

  beforeAll(async () => {
    await corral.start();
  });

  afterAll(async () => {
    for (const n of [names.web, names.renamed]) await sh('docker', ['rm', '-f', '-v', n]).catch(() => {});
    await sh('docker', ['volume', 'rm', '-f', names.vol]).catch(() => {});
    await sh('docker', ['network', 'rm', names.net]).catch(() => {});
    for (const i of [names.image, names.retag]) await sh('docker', ['rmi', '-f', i]).catch(() => {});
    await corral.stop();
  });

  it('creates volumes and networks', async () => {
    const vol = await corral.command('POST', `/api/v1/hosts/${corral.hostId}/volumes`, {
      name: names.vol,
      labels: { 'corral.test': '1' },
    });
    expect(vol.status).toBe('succeeded');
    expect((await inspect(names.vol)).Labels).toMatchObject({ 'corral.test': '1' });
    await corral.command('POST', `/api/v1/hosts/${corral.hostId}/networks`, {
      name: names.net,
      subnet: '172.30.77.0/24',
      labels: { 'corral.test': '1' },
    });
    expect((await inspect(names.net)).IPAM.Config[0].Subnet).toBe('172.30.77.0/24');
    // The result is only reported once the inventory shows it.
    const nets = await corral.get<Page<{ name: string }>>(`/api/v1/networks?host=${corral.hostId}&name=${names.net}`);
    expect(nets.body.items).toHaveLength(1);
  });

  it('creates a container with ports, env, labels, a volume, a network and limits', async () => {
    const created = await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name: names.web,
      command: ['sh', '-c', 'echo hello-log; exec sleep 3600'],
      env: { GREETING: 'hi' },
      labels: { 'corral.test': '1' },
      ports: [{ containerPort: 8080, hostPort: 0 }],
      mounts: [{ source: names.vol, target: '/data' }],
      network: names.net,
      restartPolicy: 'unless-stopped',
      memoryBytes: 64 * 1024 * 1024,
      cpus: 0.5,
    });
    const info = await inspect(names.web);
    expect(created.result?.id).toBe(info.Id);
    expect(info.State.Running).toBe(true);
    expect(info.Config.Env).toContain('GREETING=hi');
    expect(info.Config.Labels).toMatchObject({ 'corral.test': '1', 'corral.managed': 'true' });
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(info.Mounts.map((m: { Name?: string }) => m.Name)).toContain(names.vol);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([names.net]);
    expect(Object.keys(info.NetworkSettings.Ports)).toContain('8080/tcp');
    const row = await corral.container(names.web);
    // The result names the new row by its Corral id, usable on every container route.
    expect(created.result).toMatchObject({ containerId: row!.id, engineId: info.Id });
    expect(row?.state).toBe('running');
    containerId = row!.id;
  });

  it('stops, starts, restarts, pauses, unpauses and kills, the API agreeing as soon as each ends', async () => {
    const c = `/api/v1/containers/${containerId}`;
    await corral.command('POST', `${c}/stop`, { timeoutSeconds: 1 });
    expect((await inspect(names.web)).State.Running).toBe(false);
    expect((await corral.container(names.web))?.state).toBe('exited');

    await corral.command('POST', `${c}/start`);
    expect((await inspect(names.web)).State.Running).toBe(true);
    expect((await corral.container(names.web))?.state).toBe('running');

    const before = (await inspect(names.web)).State.StartedAt;
    await corral.command('POST', `${c}/restart`, { timeoutSeconds: 1 });
    expect((await inspect(names.web)).State.StartedAt).not.toBe(before);

    await corral.command('POST', `${c}/pause`);
    expect((await inspect(names.web)).State.Paused).toBe(true);
    expect((await corral.container(names.web))?.state).toBe('paused');
    await corral.command('POST', `${c}/unpause`);
    expect((await inspect(names.web)).State.Paused).toBe(false);

    await corral.command('POST', `${c}/kill`, { signal: 'SIGKILL' });
    expect((await inspect(names.web)).State.Running).toBe(false);
    expect((await corral.container(names.web))?.state).toBe('exited');
    await corral.command('POST', `${c}/start`);
  });

  it('execs with captured output and exit code, cuts long output, and reads logs', async () => {
    const c = `/api/v1/containers/${containerId}`;
    const exec = await corral.command('POST', `${c}/exec`, {
      command: ['sh', '-c', 'echo "$GREETING $X"; pwd; echo err >&2; exit 3'],
      env: { X: 'there' },
      workdir: '/data',
    });
    expect(exec.result).toMatchObject({ exitCode: 3, stdout: 'hi there\n/data\n', stderr: 'err\n', truncated: false });
    const long = await corral.command('POST', `${c}/exec`, {
      command: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done'],
      maxOutputBytes: 100,
    });
    expect(long.result).toMatchObject({ exitCode: 0, truncated: true });
    expect(String(long.result?.stdout).length).toBeLessThanOrEqual(100);
    const logs = await corral.command('POST', `${c}/logs`, { tail: 50 });
    expect(JSON.stringify(logs.result)).toContain('hello-log');
  });

  it('connects and disconnects a network, and refuses to remove a volume in use, naming the user', async () => {
    const nets = await corral.get<Page<{ id: string; name: string }>>(
      `/api/v1/networks?host=${corral.hostId}&name=bridge`,
    );
    const bridge = nets.body.items.find((n) => n.name === 'bridge')!;
    await corral.command('POST', `/api/v1/networks/${bridge.id}/connect`, { container: containerId });
    expect(Object.keys((await inspect(names.web)).NetworkSettings.Networks).sort()).toEqual(
      ['bridge', names.net].sort(),
    );
    await corral.command('POST', `/api/v1/networks/${bridge.id}/disconnect`, { container: containerId });
    expect(Object.keys((await inspect(names.web)).NetworkSettings.Networks)).toEqual([names.net]);

    const vols = await corral.get<Page<{ id: string }>>(`/api/v1/volumes?host=${corral.hostId}&name=${names.vol}`);
    const refused = await corral.command('DELETE', `/api/v1/volumes/${vols.body.items[0]!.id}`, undefined, 'failed');
    expect(refused.error?.code).toBe('in_use');
    expect(refused.error?.message).toContain(names.web);
    expect((await inspect(names.vol)).Name).toBe(names.vol);
  });

  it('renames and removes a container with its volumes', async () => {
    await corral.command('POST', `/api/v1/containers/${containerId}/rename`, { name: names.renamed });
    expect((await inspect(names.renamed)).Name).toBe(`/${names.renamed}`);
    expect((await corral.container(names.renamed))?.id).toBe(containerId);
    await corral.command('DELETE', `/api/v1/containers/${containerId}?force=true`);
    await expect(sh('docker', ['inspect', names.renamed])).rejects.toThrow();
    expect(await corral.container(names.renamed)).toBeUndefined();

    const vols = await corral.get<Page<{ id: string }>>(`/api/v1/volumes?host=${corral.hostId}&name=${names.vol}`);
    await corral.command('DELETE', `/api/v1/volumes/${vols.body.items[0]!.id}`);
    await expect(sh('docker', ['volume', 'inspect', names.vol])).rejects.toThrow();
    const nets = await corral.get<Page<{ id: string }>>(`/api/v1/networks?host=${corral.hostId}&name=${names.net}`);
    await corral.command('DELETE', `/api/v1/networks/${nets.body.items[0]!.id}`);
    await expect(sh('docker', ['network', 'inspect', names.net])).rejects.toThrow();
  });

  it('imports an uploaded rootfs tarball as an image, tags it and removes it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'corral-rootfs-'));
    try {
      await sh('mkdir', ['-p', path.join(dir, 'root/bin')]);
      await sh('cp', ['/bin/busybox', path.join(dir, 'root/bin/busybox')]);
      await sh('tar', ['-C', path.join(dir, 'root'), '-cf', path.join(dir, 'rootfs.tar'), '.']);
      const tarball = await readFile(path.join(dir, 'rootfs.tar'));
      const res = await corral.request<{ id: string; status: string }>(
        'POST',
        `/api/v1/hosts/${corral.hostId}/images/import?reference=${encodeURIComponent(names.image)}&wait=90`,
        new Uint8Array(tarball),
        { 'content-type': 'application/x-tar' },
      );
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('succeeded');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const image = await inspect(names.image);
    expect(image.Config.Labels ?? {}).toMatchObject({ 'corral.managed': 'true' });
    const images = await corral.get<Page<{ id: string; tags: string[] }>>(
      `/api/v1/images?host=${corral.hostId}&name=${encodeURIComponent(`corral-test/imported-${t}`)}`,
    );
    const row = images.body.items.find((i) => i.tags.includes(names.image))!;
    await corral.command('POST', `/api/v1/images/${row.id}/tag`, { reference: names.retag });
    expect((await inspect(names.retag)).Id).toBe(image.Id);
    await corral.command('DELETE', `/api/v1/images/${row.id}?force=true`);
    await expect(sh('docker', ['image', 'inspect', names.image])).rejects.toThrow();
    await corral.command('POST', `/api/v1/hosts/${corral.hostId}/images/prune`);
    await corral.command('POST', `/api/v1/hosts/${corral.hostId}/volumes/prune`);
  });

  it('refreshes the host on request', async () => {
    const res = await corral.command('POST', `/api/v1/hosts/${corral.hostId}/refresh`);
    expect(res.status).toBe('succeeded');
  });
});
