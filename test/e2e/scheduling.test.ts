import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCommand, Corral } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';

interface Placement {
  id: string;
  outcome: string;
  hostIds: string[];
  commands: ApiCommand[];
  explanation: { summary: string; reasons: string[]; decisions: { hostname: string | null; score: number | null }[] };
}

const MiB = 1024 ** 2;

// Placement onto the real host: the controller chooses, the agent creates, the engines confirm.
describe('placement on a real host', () => {
  const corral = new Corral({ agentEnv: { CORRAL_LABELS: 'zone=e2e,disk=ssd' } });
  const t = corral.tag;
  const group = `e2e-${t}`;
  const web = `corral-test-sched-${t}`;
  const lxcName = `corral-test-sched-l-${t}`;

  const inspect = async (name: string) => JSON.parse(await sh('docker', ['inspect', name]))[0];

  beforeAll(async () => {
    await corral.start();
  });

  afterAll(async () => {
    for (const n of [`${web}-1`, `${web}-2`]) await sh('docker', ['rm', '-f', '-v', n]).catch(() => {});
    await sh('lxc-stop', ['-P', corral.lxcPath, '-n', lxcName, '-k']).catch(() => {});
    await sh('lxc-destroy', ['-P', corral.lxcPath, '-n', lxcName, '-f']).catch(() => {});
    await corral.stop();
  });

  it('reports the agent labels from CORRAL_LABELS on the host', async () => {
    const host = await corral.get<{ agentLabels: unknown; effectiveLabels: unknown }>(`/api/v1/hosts/${corral.hostId}`);
    expect(host.body.agentLabels).toEqual({ zone: 'e2e', disk: 'ssd' });
    expect(host.body.effectiveLabels).toEqual({ zone: 'e2e', disk: 'ssd' });
  });

  it('places one of two replicas of a group on a one-host fleet, and says why not the second', async () => {
    const res = await corral.request<{ placement: Placement }>('POST', '/api/v1/containers?wait=90', {
      runtime: 'docker',
      spec: {
        image: TEST_IMAGE,
        name: web,
        command: ['sleep', '3600'],
        labels: { 'corral.test': '1' },
      },
      resources: { memoryBytes: 64 * MiB, cpus: 0.5 },
      constraints: [{ label: 'zone', op: '=', value: 'e2e' }],
      group,
      replicas: 2,
    });
    expect(res.status).toBe(202);
    const placement = res.body.placement;
    expect(placement.outcome).toBe('partial');
    expect(placement.hostIds).toEqual([corral.hostId]);
    expect(placement.commands.map((c) => c.status)).toEqual(['succeeded']);
    expect(placement.explanation.reasons).toEqual([
      `${corral.hostname}: already gets a container of group ${group} from this placement`,
    ]);
    expect(placement.explanation.summary).toMatch(
      new RegExp(`^placed 1 of 2: ${web}-1 on ${corral.hostname} \\(score [0-9.]+\\); replica 2 fits no host`),
    );

    const info = await inspect(`${web}-1`);
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels).toMatchObject({
      'corral.group': group,
      'corral.placement': placement.id,
      'corral.test': '1',
      'corral.managed': 'true',
    });
    expect(info.HostConfig.Memory).toBe(64 * MiB);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    await expect(sh('docker', ['inspect', `${web}-2`])).rejects.toThrow();
  });

  it('then turns the group down on that host because of the container now running there', async () => {
    const res = await corral.request<{ reasons: string[] }>('POST', '/api/v1/containers', {
      runtime: 'docker',
      spec: { image: TEST_IMAGE, labels: { 'corral.test': '1' } },
      group,
    });
    expect(res.status).toBe(409);
    expect(res.body.reasons).toEqual([`${corral.hostname}: already runs a container of group ${group}`]);
  });

  it('places an LXC container with its memory limit', async () => {
    const res = await corral.request<{ placement: Placement }>('POST', '/api/v1/containers?wait=120', {
      runtime: 'lxc',
      spec: { name: lxcName, template: 'busybox', config: { 'lxc.net.0.link': 'lxcbr0' } },
      resources: { memoryBytes: 64 * MiB },
      constraints: [{ label: 'disk', op: 'in', values: ['ssd', 'nvme'] }],
    });
    expect(res.status).toBe(202);
    expect(res.body.placement.outcome).toBe('placed');
    expect(res.body.placement.commands[0]?.status).toBe('succeeded');
    expect(await sh('lxc-info', ['-P', corral.lxcPath, '-n', lxcName, '-sH'])).toBe('RUNNING');
    const config = await readFile(path.join(corral.lxcPath, lxcName, 'config'), 'utf8');
    expect(config).toMatch(/^lxc\.cgroup2?\.memory\.(max|limit_in_bytes) = 67108864$/m);
  });

  it('a drain cordons the host and lists both containers with their placement', async () => {
    const res = await corral.request<{ host: { cordoned: boolean }; containers: Record<string, unknown>[] }>(
      'POST',
      `/api/v1/hosts/${corral.hostId}/drain`,
      { reason: 'e2e' },
    );
    expect(res.status).toBe(200);
    expect(res.body.host.cordoned).toBe(true);
    const mine = res.body.containers.filter((c) => String(c.name).includes(t));
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: `${web}-1`, runtime: 'docker', group }),
        expect.objectContaining({ name: lxcName, runtime: 'lxc', group: null, placementId: expect.any(String) }),
      ]),
    );
    const refused = await corral.request<{ placement: Placement }>('POST', '/api/v1/containers?dryRun=true', {
      runtime: 'docker',
      spec: { image: TEST_IMAGE },
    });
    // A dry run answers as the real request would: nothing fits, 409.
    expect(refused.status).toBe(409);
    expect(refused.body.placement.explanation.reasons).toEqual([`${corral.hostname}: cordoned (e2e)`]);
    await corral.request('POST', `/api/v1/hosts/${corral.hostId}/uncordon`);
  });
});
