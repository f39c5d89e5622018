import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corral } from '../support/corral.js';
import { sh } from '../support/engines.js';

// Every LXC operation through the HTTP API on real LXC, checked with lxc-info and lxc-ls.
describe('LXC operations through the API', () => {
  const corral = new Corral();
  const name = `corral-test-l-${corral.tag}`;
  const clone = `corral-test-lc-${corral.tag}`;
  let id = '';

  const lxcState = async (n: string) => sh('lxc-info', ['-P', corral.lxcPath, '-n', n, '-sH']);

  beforeAll(async () => {
    await corral.start();
  });

  afterAll(async () => {
    for (const n of [name, clone]) {
      await sh('lxc-stop', ['-P', corral.lxcPath, '-n', n, '-k']).catch(() => {});
      await sh('lxc-destroy', ['-P', corral.lxcPath, '-n', n, '-f', '-s']).catch(() => {});
    }
    await corral.stop();
  });

  it('creates and starts a busybox container linked to lxcbr0 with a memory limit', async () => {
    const created = await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
      runtime: 'lxc',
      name,
      template: 'busybox',
      config: { 'lxc.net.0.link': 'lxcbr0' },
      memoryBytes: 64 * 1024 * 1024,
    });
    expect(created.result).toMatchObject({ name, lxcPath: corral.lxcPath });
    expect(await lxcState(name)).toBe('RUNNING');
    const row = await corral.container(name);
    expect(row).toMatchObject({ runtime: 'lxc', state: 'running' });
    expect(created.result).toMatchObject({ containerId: row!.id, engineId: name });
    id = row!.id;
  });

  it('execs through lxc-attach with output and exit code', async () => {
    const exec = await corral.command('POST', `/api/v1/containers/${id}/exec`, {
      command: ['sh', '-c', 'echo "in $X"; echo oops >&2; exit 4'],
      env: { X: 'lxc' },
    });
    expect(exec.result).toMatchObject({ exitCode: 4, stdout: 'in lxc\n', stderr: 'oops\n', truncated: false });
  });

  it('freezes and unfreezes', async () => {
    await corral.command('POST', `/api/v1/containers/${id}/freeze`);
    expect(await lxcState(name)).toBe('FROZEN');
    expect((await corral.container(name))?.state).toBe('frozen');
    await corral.command('POST', `/api/v1/containers/${id}/unfreeze`);
    expect(await lxcState(name)).toBe('RUNNING');
    expect((await corral.container(name))?.state).toBe('running');
  });

  it('refuses ops LXC cannot do, and destroy while running', async () => {
    const pause = await corral.request<{ message: string }>('POST', `/api/v1/containers/${id}/pause`);
    expect(pause.status).toBe(422);
    expect(pause.body.message).toContain('freeze');
    const destroy = await corral.command('DELETE', `/api/v1/containers/${id}`, undefined, 'failed');
    expect(destroy.error?.code).toBe('conflict');
    expect(await lxcState(name)).toBe('RUNNING');
  });

  it('restarts, stops, snapshots, restores, clones and destroys', async () => {
    const before = await sh('lxc-info', ['-P', corral.lxcPath, '-n', name, '-pH']);
    await corral.command('POST', `/api/v1/containers/${id}/restart`, { timeoutSeconds: 2 });
    expect(await sh('lxc-info', ['-P', corral.lxcPath, '-n', name, '-pH'])).not.toBe(before);

    await corral.command('POST', `/api/v1/containers/${id}/stop`, { kill: true });
    expect(await lxcState(name)).toBe('STOPPED');
    expect((await corral.container(name))?.state).toBe('stopped');

    const snap = await corral.command('POST', `/api/v1/containers/${id}/snapshots`, { comment: 'before change' });
    const snapName = String(snap.result?.snapshot);
    expect(snapName).toMatch(/^snap\d+$/);
    const list = await corral.command('GET', `/api/v1/containers/${id}/snapshots`);
    expect(list.result?.snapshots).toEqual([expect.objectContaining({ name: snapName, comment: 'before change' })]);
    await corral.command('POST', `/api/v1/containers/${id}/snapshots/${snapName}/restore`);

    await corral.command('POST', `/api/v1/containers/${id}/clone`, { newName: clone });
    expect((await sh('lxc-ls', ['-P', corral.lxcPath])).split(/\s+/)).toContain(clone);
    expect((await corral.container(clone))?.state).toBe('stopped');

    await corral.command('DELETE', `/api/v1/containers/${id}/snapshots/${snapName}`);
    expect(await sh('lxc-snapshot', ['-P', corral.lxcPath, '-n', name, '-L'])).not.toContain(snapName);

    await corral.command('DELETE', `/api/v1/containers/${id}`);
    expect((await sh('lxc-ls', ['-P', corral.lxcPath])).split(/\s+/)).not.toContain(name);
    expect(await corral.container(name)).toBeUndefined();
    const cloneRow = await corral.container(clone);
    await corral.command('DELETE', `/api/v1/containers/${cloneRow!.id}?force=true`);
    expect(await corral.container(clone)).toBeUndefined();
  });
});
