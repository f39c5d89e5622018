import { type Hello, PROTOCOL_VERSION } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConnectRepository } from '../../apps/controller/src/repositories/agent-connect.repository.js';
import { HostAccessService } from '../../apps/controller/src/services/host-access.service.js';
import { hashSecret, newSecret } from '../../apps/controller/src/services/secrets.js';
import { startTestController, type TestController } from '../support/controller.js';

// The connect path in batches: many upgrades checked and many hellos registered per statement,
// each agent getting the answer it would have got alone.
describe('agent connect batches', () => {
  let ctl: TestController;
  let repo: AgentConnectRepository;
  let access: HostAccessService;

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_OFFLINE_GRACE_MS: '600000' });
    repo = ctl.app.get(AgentConnectRepository);
    access = ctl.app.get(HostAccessService);
  });

  afterAll(async () => {
    await ctl?.close();
  });

  async function enrolled(prefix: string, n: number) {
    const hosts: { hostId: string; agentId: string; secret: string; credentialId: string }[] = [];
    for (let i = 0; i < n; i++) {
      const agentId = `${prefix}-${i}`;
      const secret = newSecret('agent');
      const host = await ctl.prisma.host.create({
        data: {
          agentId,
          hostname: agentId,
          credentials: { create: { prefix: secret.slice(0, 12), secretHash: hashSecret(secret) } },
        },
        include: { credentials: true },
      });
      hosts.push({ hostId: host.id, agentId, secret, credentialId: host.credentials[0]!.id });
    }
    return hosts;
  }

  const hello = (agentId: string, lastAckedSeq = 0, hostname = agentId): Hello => ({
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    agentId,
    hostname,
    agentVersion: '9.9.9',
    lastAckedSeq,
    runtimes: [{ name: 'docker', available: true, version: '27.0.0', reason: null }],
    labels: { zone: 'eu' },
  });

  it('checks many credentials in one go: live ones find their host, revoked and unknown ones do not', async () => {
    const hosts = await enrolled('auth', 40);
    await ctl.prisma.agentCredential.update({ where: { id: hosts[3]!.credentialId }, data: { revokedAt: new Date() } });
    const before = new Date(Date.now() - 1);
    const secrets = [...hosts.map((h) => h.secret), newSecret('agent'), hosts[5]!.secret];
    const answers = await Promise.all(secrets.map((s) => access.authenticate(s)));
    hosts.forEach((h, i) => {
      if (i === 3) expect(answers[i]).toBeNull();
      else expect(answers[i]).toEqual({ hostId: h.hostId, hostname: h.agentId, credentialId: h.credentialId });
    });
    expect(answers[40]).toBeNull();
    expect(answers[41]).toEqual(answers[5]);
    const used = await ctl.prisma.agentCredential.findMany({ where: { hostId: { in: hosts.map((h) => h.hostId) } } });
    for (const c of used) {
      if (c.id === hosts[3]!.credentialId) expect(c.lastUsedAt).toBeNull();
      else expect(c.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    }
  });

  it('registers a batch of hellos, telling apart new, returning, revoked and mismatched agents', async () => {
    const hosts = await enrolled('hello', 7);
    // Host 1 was connected before and went offline; host 2 is still marked online with lastSeq 7.
    await ctl.prisma.host.update({
      where: { id: hosts[1]!.hostId },
      data: { connectedAt: new Date(Date.now() - 60_000), status: 'offline', lastSeq: 3n },
    });
    await ctl.prisma.host.update({
      where: { id: hosts[2]!.hostId },
      data: { connectedAt: new Date(Date.now() - 60_000), status: 'online', lastSeq: 7n },
    });
    await ctl.prisma.agentCredential.update({ where: { id: hosts[4]!.credentialId }, data: { revokedAt: new Date() } });
    const now = new Date();
    const outcomes = await repo.registerHellos(
      [
        { credentialId: hosts[0]!.credentialId, hello: hello(hosts[0]!.agentId) },
        { credentialId: hosts[1]!.credentialId, hello: hello(hosts[1]!.agentId, 3) },
        { credentialId: hosts[2]!.credentialId, hello: hello(hosts[2]!.agentId, 7) },
        // The credential of host 3 with the agent id of host 5.
        { credentialId: hosts[3]!.credentialId, hello: hello(hosts[5]!.agentId) },
        { credentialId: hosts[4]!.credentialId, hello: hello(hosts[4]!.agentId) },
        // Host 6's own credential and agent id, claiming another host's name.
        { credentialId: hosts[6]!.credentialId, hello: hello(hosts[6]!.agentId, 0, hosts[0]!.agentId) },
      ],
      now,
      'replica-a',
    );
    expect(outcomes).toEqual([
      { result: 'registered', hostId: hosts[0]!.hostId, lastSeq: 0, isNew: true, previousStatus: null, epoch: 1 },
      { result: 'registered', hostId: hosts[1]!.hostId, lastSeq: 3, isNew: false, previousStatus: 'offline', epoch: 1 },
      { result: 'registered', hostId: hosts[2]!.hostId, lastSeq: 7, isNew: false, previousStatus: 'online', epoch: 1 },
      { result: 'mismatch', hostId: hosts[3]!.hostId, agentId: hosts[3]!.agentId, hostname: hosts[3]!.agentId },
      { result: 'revoked' },
      { result: 'hostname-mismatch', hostId: hosts[6]!.hostId, hostname: hosts[6]!.agentId },
    ]);
    const rows = await ctl.prisma.host.findMany({
      where: { id: { in: hosts.map((h) => h.hostId) } },
      orderBy: { agentId: 'asc' },
    });
    const byAgent = new Map(rows.map((r) => [r.agentId, r]));
    for (const i of [0, 1, 2]) {
      const row = byAgent.get(hosts[i]!.agentId)!;
      expect(row).toMatchObject({
        connectionEpoch: 1n,
        replicaId: 'replica-a',
        status: 'online',
        hostname: hosts[i]!.agentId,
        agentVersion: '9.9.9',
        protocolVersion: PROTOCOL_VERSION,
        agentLabels: { zone: 'eu' },
        offlineAt: null,
      });
      expect(row.connectedAt).toEqual(now);
      expect(row.lastSeenAt).toEqual(now);
    }
    // Neither the mismatched ones nor the revoked one was touched.
    for (const i of [3, 4, 6]) {
      expect(byAgent.get(hosts[i]!.agentId)).toMatchObject({
        status: 'offline',
        connectedAt: null,
        hostname: hosts[i]!.agentId,
      });
    }
  });

  it('hundreds of hello statements at once neither deadlock nor lose a host', async () => {
    const hosts = await enrolled('many', 300);
    const outcomes = await Promise.all(
      hosts.map((h) =>
        repo.registerHellos([{ credentialId: h.credentialId, hello: hello(h.agentId) }], new Date(), 'replica-a'),
      ),
    );
    expect(outcomes.flat().every((o) => o.result === 'registered')).toBe(true);
    expect(await ctl.prisma.host.count({ where: { agentId: { startsWith: 'many-' }, status: 'online' } })).toBe(300);
  });
});
