import { randomUUID } from 'node:crypto';
import { type ContainerRecord, sampleDockerContainer, sampleFacts, sampleLxcContainer } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDto } from '../../apps/controller/src/dtos/command.dto.js';
import { startTestController, type TestController } from '../support/controller.js';
import type { RawAgent } from '../support/raw-agent.js';

// Routes name hosts and inventory rows the way people do: Corral id, hostname, name, engine id
// or a prefix of it, repo:tag, HOST/NAME; a name that fits several rows is 409 with the candidates.
describe('addressing hosts and inventory rows by id, name and engine id', () => {
  let ctl: TestController;
  const agents: RawAgent[] = [];
  const hosts: Record<string, string> = {};

  const docker = (id: string, name: string): ContainerRecord => ({ ...sampleDockerContainer, id, name });
  const engineA = `aaaa1111bbbb2222${'0'.repeat(48)}`;
  const engineB = `aaaa1111cccc3333${'0'.repeat(48)}`;

  // A host with a scripted agent, its snapshot holding `containers`.
  const host = async (hostname: string, containers: ContainerRecord[]) => {
    const agentId = randomUUID();
    const agent = await ctl.agent({ agentId, hostname });
    agents.push(agent);
    agent.send(agent.hello({ agentId, hostname, runtimes: sampleFacts.runtimes }));
    hosts[hostname] = (await agent.next('welcome')).hostId;
    agent.send({
      type: 'snapshot',
      seq: 1,
      facts: { ...sampleFacts, hostname },
      containers,
      images: [
        { id: `sha256:${'ab'.repeat(32)}`, tags: ['busybox:latest'], sizeBytes: 1, createdAt: null, labels: {} },
      ],
      volumes: [{ name: 'data', driver: 'local', mountpoint: null, labels: {}, createdAt: null, usedBy: [] }],
      networks: [],
      bridges: [],
      leases: [],
    });
    await agent.next('ack');
    return agent;
  };

  const post = (url: string, body: unknown = {}) =>
    ctl.request<CommandDto & Record<string, unknown>>('POST', url, body);
  const rowId = async (hostname: string, name: string) =>
    (await ctl.prisma.container.findFirstOrThrow({ where: { hostId: hosts[hostname]!, name } })).id;

  beforeAll(async () => {
    ctl = await startTestController();
    await host('addr-a', [docker(engineA, 'web'), docker(`${'e'.repeat(64)}`, 'only-on-a'), sampleLxcContainer]);
    await host('addr-b', [docker(engineB, 'web')]);
  });

  afterAll(async () => {
    for (const a of agents) a.close();
    await ctl?.close();
  });

  it('takes a container by name, by engine id, by a 12+ character prefix of it, and by HOST/NAME', async () => {
    const onlyA = await rowId('addr-a', 'only-on-a');
    for (const ref of ['only-on-a', 'e'.repeat(64), 'e'.repeat(12), onlyA]) {
      const reply = await post(`/api/v1/containers/${encodeURIComponent(ref)}/restart`);
      expect({ ref, status: reply.status, target: reply.body.targetId }).toEqual({ ref, status: 202, target: onlyA });
    }
    const webB = await rowId('addr-b', 'web');
    const qualified = await post(`/api/v1/containers/${encodeURIComponent('addr-b/web')}/stop`);
    expect(qualified.status).toBe(202);
    expect(qualified.body.targetId).toBe(webB);
    expect((await post(`/api/v1/containers/${engineB.slice(0, 12)}/stop`)).body.targetId).toBe(webB);
  });

  it('answers 409 with every candidate when a name or prefix fits several, and 404 when none', async () => {
    const ambiguous = await post('/api/v1/containers/web/start');
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body).toMatchObject({ error: 'ambiguous' });
    expect(ambiguous.body.message).toMatch(/"web" names 2 containers; name one by its Corral id or as HOST\/web/);
    const candidates = ambiguous.body.candidates as { id: string; hostname: string }[];
    expect(candidates.map((c) => c.hostname).sort()).toEqual(['addr-a', 'addr-b']);
    expect(candidates.map((c) => c.id).sort()).toEqual(
      [await rowId('addr-a', 'web'), await rowId('addr-b', 'web')].sort(),
    );

    // Both engine ids start with these 8 characters; 12 are needed for a prefix, so it is no match at all.
    expect((await post('/api/v1/containers/aaaa1111/start')).status).toBe(404);
    const prefix = await post('/api/v1/containers/aaaa1111bbbb/start');
    expect(prefix.status).toBe(202);
    const tooShort = await post('/api/v1/containers/aaaa1111b/start');
    expect(tooShort.status).toBe(404);

    const none = await post('/api/v1/containers/nothing-here/start');
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/no container is named or has the id "nothing-here"/);
    const badHost = await post(`/api/v1/containers/${encodeURIComponent('no-such-host/web')}/start`);
    expect(badHost.status).toBe(404);
    expect(badHost.body.message).toMatch(/no host is named or has the id "no-such-host"/);
  });

  it('takes a host by hostname in any case, an image by repo:tag or id prefix, a volume as HOST/NAME', async () => {
    const byName = await post('/api/v1/hosts/ADDR-A/refresh');
    expect(byName.status).toBe(202);
    expect(byName.body.hostId).toBe(hosts['addr-a']);

    const images = await ctl.prisma.image.findMany({ where: { tags: { has: 'busybox:latest' } } });
    expect(images).toHaveLength(2);
    expect((await post('/api/v1/images/busybox:latest/tag', { reference: 'x:1' })).status).toBe(409);
    const imageA = images.find((i) => i.hostId === hosts['addr-a'])!;
    expect((await post(`/api/v1/images/${imageA.id}/tag`, { reference: 'x:1' })).body.targetId).toBe(imageA.id);

    const volume = await ctl.request<CommandDto>('DELETE', `/api/v1/volumes/${encodeURIComponent('addr-b/data')}`);
    expect(volume.status).toBe(202);
    expect(volume.body.hostId).toBe(hosts['addr-b']);
  });

  it('refuses references with NUL or control characters with 400 naming the parameter', async () => {
    const reply = await post('/api/v1/hosts/a%00b/refresh');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ field: 'host' });
  });

  it("adds the new container's Corral id to a create's result", async () => {
    const agent = agents[0]!;
    const created = await post('/api/v1/hosts/addr-a/containers', { runtime: 'docker', image: 'busybox:latest' });
    expect(created.status).toBe(202);
    const frame = await nextCommand(agent, created.body.id);
    const engineId = 'f'.repeat(64);
    agent.send({
      type: 'delta',
      seq: 2,
      changes: [{ op: 'upsert', kind: 'container', record: docker(engineId, 'made-here') }],
    });
    await agent.next('ack');
    agent.send({
      type: 'command.result',
      id: frame.id,
      ok: true,
      result: { id: engineId, name: 'made-here', engineId, key: `docker:${engineId}` },
      error: null,
    });
    const done = await ctl.get<CommandDto>(`/api/v1/commands/${frame.id}?wait=5`);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.result).toMatchObject({ engineId, containerId: await rowId('addr-a', 'made-here') });
  });
});

async function nextCommand(agent: RawAgent, id: string) {
  for (;;) {
    const frame = await agent.next('command');
    if (frame.id === id) return frame;
  }
}
