import { randomUUID } from 'node:crypto';
import { sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import { RawAgent } from '../support/raw-agent.js';
import { waitFor } from '../support/wait.js';

interface HostRow {
  id: string;
  hostname: string;
  status: string;
}

// A host's name is the one it enrolled with; an agent cannot take another host's by saying it.
describe('host identity', () => {
  let ctl: TestController;
  let victim: RawAgent;
  let victimId: string;
  const victimAgent = randomUUID();
  const rogueAgent = randomUUID();

  const hostsNamed = async (name: string) =>
    (await ctl.get<{ items: HostRow[] }>(`/api/v1/hosts?name=${encodeURIComponent(name)}`)).body.items;

  beforeAll(async () => {
    ctl = await startTestController();
    victim = await ctl.agent({ hostname: 'victim', agentId: victimAgent });
    victim.send(victim.hello());
    victimId = (await victim.next('welcome')).hostId;
    victim.send(victim.snapshot({ facts: { ...sampleFacts, hostname: 'victim' } }));
    await victim.next('ack');
  });

  afterAll(async () => {
    victim.close();
    await ctl.close();
  });

  it('refuses a hello naming another host, with an error frame naming the field, and audits it', async () => {
    const rogue = await ctl.agent({ hostname: 'rogue', agentId: rogueAgent });
    rogue.send(rogue.hello({ hostname: 'victim' }));
    const error = await rogue.next('error');
    expect(error).toMatchObject({ code: 'hostname_mismatch', field: 'hostname', inReplyTo: 'hello' });
    expect(error.message).toMatch(/enrolled as rogue, not victim/);
    expect((await rogue.waitClosed()).code).toBe(4006);

    const named = await hostsNamed('victim');
    expect(named.map((h) => h.id)).toEqual([victimId]);
    expect(named[0]).toMatchObject({ hostname: 'victim', status: 'online' });
    const rogueRows = await ctl.prisma.host.findMany({ where: { hostname: 'rogue' } });
    expect(rogueRows).toHaveLength(1);
    expect(rogueRows[0]!.status).toBe('offline');

    const audit = await ctl.get<{ items: { action: string; outcome: string; detail: Record<string, unknown> }[] }>(
      '/api/v1/audit?action=HELLO',
    );
    expect(audit.body.items[0]).toMatchObject({
      action: 'HELLO /agent',
      outcome: 'denied',
      detail: { field: 'hostname', enrolledHostname: 'rogue', helloHostname: 'victim' },
    });
  });

  it('leaves the real host working: it reconnects, and a placement pinned to its name lands on it', async () => {
    victim.close();
    await victim.waitClosed();
    victim = await ctl.agent({ agentId: victimAgent });
    victim.send(victim.hello({ lastAckedSeq: 1 }));
    expect((await victim.next('welcome')).hostId).toBe(victimId);
    const res = await ctl.request<{ placement: { hostIds: string[] } }>('POST', '/api/v1/containers?dryRun=true', {
      runtime: 'docker',
      spec: { image: 'busybox', env: { SECRET: 'x' } },
      hosts: ['victim'],
    });
    expect(res.status).toBe(200);
    expect(res.body.placement.hostIds).toEqual([victimId]);
  });

  it('never renames a host from the facts its agent reports', async () => {
    const rogue = await ctl.agent({ agentId: rogueAgent });
    rogue.send(rogue.hello());
    const rogueId = (await rogue.next('welcome')).hostId;
    rogue.send(rogue.snapshot({ facts: { ...sampleFacts, hostname: 'victim' } }));
    await rogue.next('ack');
    expect((await ctl.prisma.host.findUniqueOrThrow({ where: { id: rogueId } })).hostname).toBe('rogue');
    expect((await hostsNamed('victim')).map((h) => h.id)).toEqual([victimId]);
    rogue.close();
  });

  describe('renaming is an admin action', () => {
    let hostId: string;
    let agentId: string;

    beforeAll(async () => {
      const enrolled = await ctl.enroll({ hostname: 'old-name' });
      hostId = enrolled.hostId;
      agentId = enrolled.agentId;
    });

    it('refuses operators, and a name another host has', async () => {
      const operator = { authorization: `Bearer ${(await ctl.token('operator')).secret}` };
      expect((await ctl.request('PUT', `/api/v1/hosts/${hostId}/hostname`, { hostname: 'x' }, operator)).status).toBe(
        403,
      );
      const taken = await ctl.request<{ message: string }>('PUT', `/api/v1/hosts/${hostId}/hostname`, {
        hostname: 'VICTIM',
      });
      expect(taken.status).toBe(409);
      expect(taken.body.message).toMatch(/already named victim/);
    });

    it('renames, after which the agent must say the new name', async () => {
      // The host named by its current name, as every host route takes it.
      const res = await ctl.request('PUT', '/api/v1/hosts/old-name/hostname', { hostname: 'new-name' });
      expect(res).toMatchObject({ status: 200, body: { hostId, hostname: 'new-name', previousHostname: 'old-name' } });
      const old = await ctl.agent({ agentId });
      old.send(old.hello({ hostname: 'old-name' }));
      expect(await old.next('error')).toMatchObject({ code: 'hostname_mismatch', field: 'hostname' });
      const renamed = await ctl.agent({ agentId });
      renamed.send(renamed.hello({ hostname: 'new-name' }));
      expect((await renamed.next('welcome')).hostId).toBe(hostId);
      renamed.close();
    });
  });
});

// Enrollment is serialized per hostname and per agent id: parallel attempts make exactly one host.
describe('parallel enrollment', () => {
  let ctl: TestController;

  beforeAll(async () => {
    ctl = await startTestController();
  });

  afterAll(() => ctl.close());

  const tokenFor = async (uses: number, allowTakeover = false) => {
    const res = await ctl.request<{ secret: string }>('POST', '/api/v1/enrollment-tokens', {
      maxUses: uses,
      allowTakeover,
    });
    return res.body.secret;
  };
  const enroll = (token: string, agentId: string, hostname: string) =>
    fetch(`${ctl.baseUrl}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, agentId, hostname }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { message?: string } }));

  it('20 enrollments with one new hostname: one host, the others 409, no 500', async () => {
    const token = await tokenFor(20);
    const answers = await Promise.all(Array.from({ length: 20 }, () => enroll(token, randomUUID(), 'race-host')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(answers.find((a) => a.status === 409)?.body.message).toMatch(/already enrolled by another agent/);
    expect(await ctl.prisma.host.count({ where: { hostname: 'race-host' } })).toBe(1);
  });

  it('20 enrollments with one agent id: one host, the others 409, no 500', async () => {
    const token = await tokenFor(20);
    const agentId = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => enroll(token, agentId, `same-agent-${i}`)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(await ctl.prisma.host.count({ where: { agentId } })).toBe(1);
  });

  it('an agent enrolling again takes the name of its new enrollment, unless another host has it', async () => {
    const agentId = randomUUID();
    const first = await enroll(await tokenFor(1), agentId, 'renamed-before');
    expect(first.status).toBe(200);
    const hostId = (first.body as { hostId?: string }).hostId!;
    await ctl.request('POST', `/api/v1/hosts/${hostId}/revoke`);
    const taken = await enroll(await tokenFor(1), agentId, 'race-host');
    expect(taken.status).toBe(409);
    const again = await enroll(await tokenFor(1), agentId, 'renamed-after');
    expect(again.status).toBe(200);
    expect((await ctl.prisma.host.findUniqueOrThrow({ where: { id: hostId } })).hostname).toBe('renamed-after');
  });

  it('with takeover allowed, 20 at once still leave one host of that name', async () => {
    const token = await tokenFor(20, true);
    const answers = await Promise.all(Array.from({ length: 20 }, () => enroll(token, randomUUID(), 'takeover-host')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await ctl.prisma.host.count({ where: { hostname: 'takeover-host' } })).toBe(1);
    await waitFor('credentials settled', async () => {
      const live = await ctl.prisma.agentCredential.count({
        where: { host: { hostname: 'takeover-host' }, revokedAt: null },
      });
      return live === 1;
    });
  });
});
