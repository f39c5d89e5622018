import { type ImageRecord, sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';

const BOTH = [
  { name: 'docker' as const, available: true, version: '27.0', reason: null },
  { name: 'lxc' as const, available: true, version: '5.0.2', reason: null },
];

interface Refusal {
  error: string;
  message: string;
  field: string;
  rule: string;
}

// Host-level power (bind mounts, host namespaces, LXC templates and config keys) behind admin policy,
// on every path that creates: the host create route, placement, and clone.
describe('create policies', () => {
  let ctl: TestController;
  let operator: Record<string, string>;
  const hosts: Record<string, { id: string; agent: RawAgent }> = {};

  // A host with both runtimes, the sample templates and its agent labels.
  const addHost = async (name: string, labels: Record<string, string>, images: ImageRecord[] = []) => {
    const agent = await ctl.agent({ hostname: name });
    agent.send(agent.hello({ hostname: name, runtimes: BOTH, labels }));
    const welcome = await agent.next('welcome');
    agent.send({
      type: 'snapshot',
      seq: 1,
      facts: { ...sampleFacts, hostname: name, runtimes: BOTH },
      containers: [],
      images,
      volumes: [],
      networks: [],
      bridges: [],
      leases: [],
    });
    await agent.next('ack');
    hosts[name] = { id: welcome.hostId, agent };
  };

  const create = (host: string, body: Record<string, unknown>, headers = operator) =>
    ctl.request<Refusal & { id: string; status: string }>(
      'POST',
      `/api/v1/hosts/${hosts[host]!.id}/containers`,
      body,
      headers,
    );
  const docker = (extra: Record<string, unknown>) => ({ runtime: 'docker', image: 'busybox', ...extra });
  const lxc = (extra: Record<string, unknown>) => ({ runtime: 'lxc', name: 'c1', ...extra });

  beforeAll(async () => {
    ctl = await startTestController();
    operator = { authorization: `Bearer ${(await ctl.token('operator')).secret}` };
    await addHost('plain', {});
    await addHost('trusted', { trust: 'root' });
  });

  afterAll(async () => {
    for (const { agent } of Object.values(hosts)) agent.close();
    await ctl.close();
  });

  describe('refused by default, for an operator (403 naming the rule), and nothing is made', () => {
    it.each([
      [
        'the / bind mount',
        docker({ mounts: [{ source: '/', target: '/host' }] }),
        'docker.bindMounts',
        'params.mounts.0.source',
      ],
      [
        'the docker.sock bind mount',
        docker({ mounts: [{ source: '/var/run/docker.sock', target: '/var/run/docker.sock' }] }),
        'docker.bindMounts',
        'params.mounts.0.source',
      ],
      ['the host network', docker({ network: 'host' }), 'docker.hostNamespaces', 'params.network'],
      ['a container: network', docker({ network: 'container:other' }), 'docker.containerNetwork', 'params.network'],
      ['a template path', lxc({ template: '/tmp/evil.sh' }), 'lxc.templatePath', 'params.template'],
      ['a template not installed', lxc({ template: 'oci' }), 'lxc.templates', 'params.template'],
      [
        'template arguments naming host paths',
        lxc({ templateArgs: ['--rootfs', '/'] }),
        'lxc.templateArgs',
        'params.templateArgs.0',
      ],
    ])('%s', async (_, body, rule, field) => {
      const before = await ctl.prisma.command.count();
      const res = await create('plain', body);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'forbidden', rule, field });
      expect(res.body.message).toMatch(
        new RegExp(`create policy of host plain refuses this \\(rule ${rule.replace('.', '\\.')}\\)`),
      );
      expect(await ctl.prisma.command.count()).toBe(before);
    });

    it.each([
      'lxc.hook.destroy',
      'lxc.hook.start',
      'lxc.mount.entry',
      'lxc.mount.auto',
      'lxc.rootfs.path',
      'lxc.apparmor.profile',
      'lxc.cap.drop',
      'lxc.cgroup.devices.allow',
      'lxc.cgroup2.devices.allow',
      'lxc.idmap',
      'lxc.include',
      'lxc.namespace.share.net',
      'lxc.seccomp.profile',
      'lxc.net.0.script.up',
    ])('the LXC config key %s', async (key) => {
      const res = await create('plain', lxc({ config: { [key]: 'x' } }));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ rule: 'lxc.configKeys', field: `params.config.${key}` });
    });

    it('privileged-like options are no params at all (400 naming them)', async () => {
      for (const key of ['privileged', 'capAdd', 'devices', 'pid', 'ipc', 'securityOpt']) {
        const res = await create('plain', docker({ [key]: true }));
        expect(res.status).toBe(400);
        expect(res.body.field).toBe(`params.${key}`);
      }
    });

    it('audits each refusal with its rule', async () => {
      await create('plain', docker({ network: 'host' }));
      const audit = await ctl.get<{
        items: { action: string; outcome: string; targetId: string; detail: Record<string, unknown> }[];
      }>('/api/v1/audit?action=policy');
      expect(audit.body.items[0]).toMatchObject({
        action: 'policy container.create',
        outcome: 'denied',
        targetId: hosts.plain!.id,
        detail: { rules: ['docker.hostNamespaces'], field: 'params.network' },
      });
    });
  });

  it('allows safe creates: volumes, the installed templates, limits and the network link', async () => {
    expect((await create('plain', docker({ mounts: [{ source: 'data', target: '/data' }] }))).status).toBe(202);
    const res = await create(
      'plain',
      lxc({ name: 'ok1', config: { 'lxc.net.0.link': 'lxcbr0', 'lxc.start.auto': '0' } }),
    );
    expect(res.status).toBe(202);
    const frame = await hosts.plain!.agent.next('command');
    expect(frame.op).toBe('container.create');
  });

  describe('policies are admin-managed', () => {
    it('refuses policy changes to operators and viewers', async () => {
      const viewer = { authorization: `Bearer ${(await ctl.token('viewer')).secret}` };
      for (const headers of [operator, viewer]) {
        const res = await ctl.request(
          'POST',
          '/api/v1/policies',
          { name: 'x', grants: { hostNamespaces: true } },
          headers,
        );
        expect(res.status).toBe(403);
      }
      expect((await ctl.get('/api/v1/policies', operator)).status).toBe(403);
    });

    it('refuses grants that can never be given, naming them', async () => {
      const res = await ctl.request<Refusal>('POST', '/api/v1/policies', {
        name: 'bad',
        grants: { lxcConfigKeys: ['lxc.hook.start'] },
      });
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('grants.lxcConfigKeys.0');
      const path = await ctl.request<Refusal>('POST', '/api/v1/policies', {
        name: 'bad',
        grants: { lxcTemplates: ['/x.sh'] },
      });
      expect(path.status).toBe(400);
    });
  });

  describe('with a policy for the trusted host', () => {
    let policyId: string;

    beforeAll(async () => {
      const res = await ctl.request<{ id: string }>('POST', '/api/v1/policies', {
        name: 'trusted hosts',
        selector: [{ label: 'trust', op: '=', value: 'root' }],
        grants: {
          bindMounts: ['/'],
          hostNamespaces: true,
          containerNetwork: true,
          lxcConfigKeys: ['lxc.sysctl.net.*'],
        },
      });
      expect(res.status).toBe(201);
      policyId = res.body.id;
    });

    it.each([
      ['the / bind mount', docker({ mounts: [{ source: '/', target: '/host' }] })],
      ['the docker.sock bind mount', docker({ mounts: [{ source: '/var/run/docker.sock', target: '/s' }] })],
      ['the host network', docker({ network: 'host' })],
      ['a container: network', docker({ network: 'container:other' })],
      ['a granted config key', lxc({ name: 'g1', config: { 'lxc.sysctl.net.ipv4.ip_forward': '1' } })],
    ])('allows %s there, and still refuses it elsewhere', async (_, body) => {
      const allowed = await create('trusted', body);
      expect(allowed.status).toBe(202);
      const frame = await hosts.trusted!.agent.next('command');
      expect(frame.id).toBe(allowed.body.id);
      expect((await create('plain', body)).status).toBe(403);
    });

    it('never allows what no policy can grant', async () => {
      expect((await create('trusted', lxc({ template: '/tmp/evil.sh' }))).status).toBe(403);
      expect((await create('trusted', lxc({ config: { 'lxc.hook.destroy': '/x' } }))).status).toBe(403);
    });

    it('shows the effective policy of a host', async () => {
      const res = await ctl.get<{
        policies: { name: string }[];
        grants: { bindMounts: string[] };
        installedTemplates: string[];
      }>(`/api/v1/hosts/${hosts.trusted!.id}/policy`, operator);
      expect(res.body).toMatchObject({
        policies: [{ name: 'trusted hosts' }],
        grants: { bindMounts: ['/'], hostNamespaces: true },
        installedTemplates: ['busybox', 'download'],
      });
      // By hostname, as every host route takes it.
      const plain = await ctl.get<{ hostId: string; policies: unknown[]; grants: { bindMounts: string[] } }>(
        '/api/v1/hosts/plain/policy',
        operator,
      );
      expect(plain.body).toMatchObject({ hostId: hosts.plain!.id, policies: [], grants: { bindMounts: [] } });
    });

    it('placement turns down the hosts whose policy refuses the spec, with the rule as the reason', async () => {
      const spec = {
        runtime: 'docker',
        spec: { image: 'busybox', name: 'p1', mounts: [{ source: '/', target: '/h' }] },
      };
      const placed = await ctl.request<{
        placement: { hostIds: string[]; explanation: { hosts: { hostname: string; reason: string | null }[] } };
      }>('POST', '/api/v1/containers?dryRun=true', spec, operator);
      expect(placed.status).toBe(200);
      expect(placed.body.placement.hostIds).toEqual([hosts.trusted!.id]);
      const rejected = placed.body.placement.explanation.hosts.find((h) => h.hostname === 'plain');
      expect(rejected?.reason).toMatch(/^create policy rule docker\.bindMounts: host path \/ may not be bind-mounted/);

      await ctl.request('PUT', `/api/v1/policies/${policyId}`, {
        name: 'trusted hosts',
        selector: [{ label: 'trust', op: '=', value: 'root' }],
        grants: {},
      });
      const none = await ctl.request<{ reasons: string[] }>('POST', '/api/v1/containers', spec, operator);
      expect(none.status).toBe(409);
      expect(none.body.reasons).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(plain|trusted): create policy rule docker\.bindMounts/)]),
      );
      expect(none.body.reasons).toHaveLength(2);
    });

    it('applies when the policy is removed: back to the default', async () => {
      expect((await ctl.request('DELETE', `/api/v1/policies/${policyId}`)).status).toBe(204);
      expect((await create('trusted', docker({ network: 'host' }))).status).toBe(403);
    });
  });
  // An image that appeared on its host outside Corral (a first sighting in a snapshot: origin unknown).
  describe('image policy: images of unknown origin refused', () => {
    const HAND = `sha256:${'e'.repeat(64)}`;
    const handMade: ImageRecord = {
      id: HAND,
      tags: ['hand/made:1'],
      repoDigests: [],
      sizeBytes: 1000,
      createdAt: null,
      labels: {},
    };
    let policyId = '';

    beforeAll(async () => {
      await addHost('edge-1', { zone: 'edge' }, [handMade]);
      await addHost('core-1', { zone: 'core' }, [handMade]);
      const made = await ctl.request<{ id: string; refuseUnknownOrigin: boolean }>('POST', '/api/v1/image-policies', {
        name: 'known images at the edge',
        selector: [{ label: 'zone', op: '=', value: 'edge' }],
        refuseUnknownOrigin: true,
      });
      expect(made.status).toBe(201);
      expect(made.body.refuseUnknownOrigin).toBe(true);
      policyId = made.body.id;
    });

    it.each([
      ['its tag', 'hand/made:1'],
      ['its image id', HAND],
      ['a short id', 'eeeeeeeeeeee'],
    ])('refuses a create naming it by %s on a matching host: 422 naming rule and policy, audited', async (_, image) => {
      const before = await ctl.prisma.command.count();
      const res = await create('edge-1', docker({ image }));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ error: 'image_policy', rule: 'image.unknownOrigin', field: 'params.image' });
      expect(res.body.message).toMatch(
        /image policy of host edge-1 refuses this \(rule image\.unknownOrigin of known images at the edge\)/,
      );
      expect(await ctl.prisma.command.count()).toBe(before);
      const audit = await ctl.get<{
        items: { action: string; statusCode: number; targetId: string; detail: unknown }[];
      }>('/api/v1/audit?limit=20');
      const entry = audit.body.items.find(
        (a) => a.action === 'policy container.create' && a.targetId === hosts['edge-1']!.id,
      );
      expect(entry?.statusCode).toBe(422);
      expect(JSON.stringify(entry?.detail)).toContain('image.unknownOrigin');
      expect(JSON.stringify(entry?.detail)).toContain('known images at the edge');
    });

    it('allows it on a host the selector does not match, an image the host lacks, and pull: always', async () => {
      expect((await create('core-1', docker({ image: 'hand/made:1' }))).status).toBe(202);
      expect((await create('edge-1', docker({ image: 'hand/other:1' }))).status).toBe(202);
      expect((await create('edge-1', docker({ image: 'hand/made:1', pull: 'always' }))).status).toBe(202);
    });

    it('placement skips the refused host with the rule as its reason', async () => {
      const placed = await ctl.request<{
        placement: { hostIds: string[]; explanation: { hosts: { hostname: string; reason: string | null }[] } };
      }>(
        'POST',
        '/api/v1/containers?dryRun=true',
        { runtime: 'docker', spec: { image: 'hand/made:1' }, hosts: ['edge-1', 'core-1'] },
        operator,
      );
      expect(placed.status).toBe(200);
      expect(placed.body.placement.hostIds).toEqual([hosts['core-1']!.id]);
      const skipped = placed.body.placement.explanation.hosts.find((h) => h.hostname === 'edge-1');
      expect(skipped?.reason).toMatch(/^image policy known images at the edge rule image\.unknownOrigin: /);
    });

    it('allows it once its origin is known, and everywhere once the rule is off', async () => {
      await ctl.prisma.imageOrigin.upsert({
        where: { hostId_engineId: { hostId: hosts['edge-1']!.id, engineId: HAND } },
        create: { hostId: hosts['edge-1']!.id, engineId: HAND, kind: 'loaded', recordedAt: new Date() },
        update: { kind: 'loaded' },
      });
      expect((await create('edge-1', docker({ image: 'hand/made:1' }))).status).toBe(202);
      await ctl.prisma.imageOrigin.update({
        where: { hostId_engineId: { hostId: hosts['edge-1']!.id, engineId: HAND } },
        data: { kind: 'unknown' },
      });
      expect((await create('edge-1', docker({ image: 'hand/made:1' }))).status).toBe(422);
      expect((await ctl.request('DELETE', `/api/v1/image-policies/${policyId}`)).status).toBe(204);
      expect((await create('edge-1', docker({ image: 'hand/made:1' }))).status).toBe(202);
    });
  });
});
