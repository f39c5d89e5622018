import { randomBytes, randomUUID } from 'node:crypto';
import { sampleFacts } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApp } from '../../apps/controller/src/app.js';
import { startTestController, type TestController } from '../support/controller.js';
import { RawAgent } from '../support/raw-agent.js';

interface Upgrade {
  status: number;
  frames: number;
}

// Tries the agent socket upgrade; the HTTP status it got, and how many frames arrived before the end.
function upgrade(url: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    let frames = 0;
    socket.on('message', () => frames++);
    socket.on('error', () => {});
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      setTimeout(() => resolve({ status: res.statusCode ?? 0, frames }), 100);
      socket.terminate();
    });
    socket.on('open', () => {
      setTimeout(() => {
        resolve({ status: 101, frames });
        socket.close();
      }, 200);
    });
  });
}

const heartbeat = () => ({
  type: 'heartbeat',
  at: new Date().toISOString(),
  load: { load1: 0.1, load5: 0.1, load15: 0.1, memoryAvailableBytes: 1000, uptimeSeconds: 10 },
});

// A connected, synced agent: hello, welcome, empty snapshot acknowledged.
async function synced(ctl: TestController, hostname?: string): Promise<{ agent: RawAgent; hostId: string }> {
  const agent = await ctl.agent({ hostname });
  const hello = agent.hello();
  agent.send(hello);
  const { hostId } = await agent.next('welcome');
  agent.send(agent.snapshot({ facts: { ...sampleFacts, hostname: hello.hostname as string } }));
  await agent.next('ack');
  return { agent, hostId };
}

describe('access control on real Postgres', () => {
  let ctl: TestController;
  let viewer: { id: string; secret: string };
  let operator: { id: string; secret: string };
  const secrets: string[] = [];
  const as = (secret: string) => ({ authorization: `Bearer ${secret}` });

  beforeAll(async () => {
    ctl = await startTestController({
      CORRAL_AGENT_FRAMES_PER_SECOND: '200',
      CORRAL_AGENT_FRAME_BURST: '100',
      CORRAL_HEARTBEAT_INTERVAL_MS: '60000',
    });
    viewer = await ctl.token('viewer', 'viewer');
    operator = await ctl.token('operator', 'ops');
    secrets.push(viewer.secret, operator.secret);
  });

  afterAll(async () => {
    await ctl?.close();
  });

  describe('API tokens', () => {
    it('answers 401 with WWW-Authenticate for no token, a bad one, a revoked one and an expired one', async () => {
      const none = await ctl.get('/api/v1/hosts', { authorization: '' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(none.body).toMatchObject({ error: 'unauthorized' });
      const bad = await ctl.get('/api/v1/hosts', as(`crl_api_${randomBytes(32).toString('base64url')}`));
      expect(bad.status).toBe(401);
      expect((await ctl.get('/api/v1/hosts', { authorization: 'Basic abc' })).status).toBe(401);

      const doomed = await ctl.token('viewer', 'doomed');
      expect((await ctl.get('/api/v1/hosts', as(doomed.secret))).status).toBe(200);
      const revoked = await ctl.request<{ revokedAt: string }>('DELETE', `/api/v1/tokens/${doomed.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.revokedAt).not.toBeNull();
      const after = await ctl.get<{ message: string }>('/api/v1/hosts', as(doomed.secret));
      expect(after.status).toBe(401);
      expect(after.body.message).toContain('revoked');

      const expiring = await ctl.token('viewer', 'expiring');
      await ctl.prisma.apiToken.update({
        where: { id: expiring.id },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      const expired = await ctl.get<{ message: string }>('/api/v1/hosts', as(expiring.secret));
      expect(expired.status).toBe(401);
      expect(expired.body.message).toContain('expired');
    });

    it('gives viewers reads, operators commands, admins the rest, saying which role is needed', async () => {
      const host = await ctl.enroll();
      expect((await ctl.get('/api/v1/hosts', as(viewer.secret))).status).toBe(200);
      const refused = await ctl.request<{ message: string }>(
        'POST',
        `/api/v1/hosts/${host.hostId}/refresh`,
        undefined,
        as(viewer.secret),
      );
      expect(refused.status).toBe(403);
      expect(refused.body.message).toContain('operator');
      const issued = await ctl.request<{ id: string; requestedBy: string }>(
        'POST',
        `/api/v1/hosts/${host.hostId}/refresh`,
        undefined,
        as(operator.secret),
      );
      expect(issued.status).toBe(202);
      expect(issued.body.requestedBy).toBe(`token:ops (${operator.id})`);
      // Pending (the host never connected): cancel ends it, which the audit log records too.
      const canceled = await ctl.request<{ status: string }>(
        'POST',
        `/api/v1/commands/${issued.body.id}/cancel`,
        undefined,
        as(operator.secret),
      );
      expect(canceled.body.status).toBe('canceled');

      const mint = await ctl.request<{ message: string }>(
        'POST',
        '/api/v1/tokens',
        { name: 'x', role: 'admin' },
        as(operator.secret),
      );
      expect(mint.status).toBe(403);
      expect(mint.body.message).toContain('admin');
      expect((await ctl.get('/api/v1/audit', as(operator.secret))).status).toBe(403);
      expect(
        (await ctl.request('POST', `/api/v1/hosts/${host.hostId}/revoke`, undefined, as(operator.secret))).status,
      ).toBe(403);
      expect((await ctl.get('/api/v1/enrollment-tokens', as(viewer.secret))).status).toBe(403);
    });

    it('keeps health, readiness, the API docs and enrollment public, and the event stream behind viewer', async () => {
      const anonymous = { authorization: '' };
      for (const path of ['/healthz', '/readyz', '/api/docs-json']) {
        expect((await ctl.get(path, anonymous)).status, path).toBe(200);
      }
      expect(
        (await ctl.request('POST', '/api/v1/enroll', { token: 'x', agentId: 'agent-0001', hostname: 'h' }, anonymous))
          .status,
      ).toBe(401);
      const stream = await fetch(`${ctl.baseUrl}/api/v1/events`);
      expect(stream.status).toBe(401);
      await stream.body?.cancel();
      const abort = new AbortController();
      const allowed = await fetch(`${ctl.baseUrl}/api/v1/events`, { headers: as(viewer.secret), signal: abort.signal });
      expect(allowed.status).toBe(200);
      abort.abort();
    });

    it('shows a new secret once; listings carry prefix, role, use and expiry but never a secret', async () => {
      const made = await ctl.request<{ id: string; secret: string; prefix: string; expiresAt: string }>(
        'POST',
        '/api/v1/tokens',
        { name: 'ci', role: 'operator', expiresInSeconds: 3600 },
      );
      expect(made.status).toBe(201);
      expect(made.body.secret).toMatch(/^crl_api_[A-Za-z0-9_-]{43}$/);
      expect(made.body.secret.startsWith(made.body.prefix)).toBe(true);
      expect(new Date(made.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3500_000);
      secrets.push(made.body.secret);
      await ctl.get('/api/v1/hosts', as(made.body.secret));
      const list = await ctl.get<{ items: Record<string, unknown>[] }>('/api/v1/tokens');
      const item = list.body.items.find((t) => t.id === made.body.id)!;
      expect(item).toMatchObject({ name: 'ci', role: 'operator', prefix: made.body.prefix, revokedAt: null });
      expect(item.lastUsedAt).not.toBeNull();
      const text = JSON.stringify(list.body);
      expect(text).not.toContain('secret');
      for (const s of secrets) expect(text).not.toContain(s);
      expect((await ctl.request('POST', '/api/v1/tokens', { name: 'x', role: 'root' })).status).toBe(400);
    });
  });

  describe('enrollment', () => {
    const enrollWith = (token: string, agentId: string, hostname: string) =>
      ctl.request<{ hostId: string; credential: string; message: string }>(
        'POST',
        '/api/v1/enroll',
        { token, agentId, hostname },
        { authorization: '' },
      );
    const newToken = async (body: Record<string, unknown> = {}) => {
      const res = await ctl.request<{ id: string; secret: string }>('POST', '/api/v1/enrollment-tokens', body);
      expect(res.status).toBe(201);
      secrets.push(res.body.secret);
      return res.body;
    };

    it('trades a token for a credential, up to its use count and never past it', async () => {
      const token = await newToken({ name: 'pair', maxUses: 2 });
      const a = await enrollWith(token.secret, randomUUID(), `enr-a-${randomBytes(3).toString('hex')}`);
      const b = await enrollWith(token.secret, randomUUID(), `enr-b-${randomBytes(3).toString('hex')}`);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.body.credential).toMatch(/^crl_agt_[A-Za-z0-9_-]{43}$/);
      secrets.push(a.body.credential, b.body.credential);
      const third = await enrollWith(token.secret, randomUUID(), 'enr-c');
      expect(third.status).toBe(403);
      expect(third.body.message).toContain('already used 2 of 2');
      const stored = await ctl.prisma.agentCredential.findFirstOrThrow({ where: { hostId: a.body.hostId } });
      expect(stored.secretHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain(a.body.credential);
      const listed = await ctl.get<{ items: { id: string; uses: number; maxUses: number }[] }>(
        '/api/v1/enrollment-tokens',
      );
      expect(listed.body.items.find((t) => t.id === token.id)).toMatchObject({ uses: 2, maxUses: 2 });
      expect(JSON.stringify(listed.body)).not.toContain(token.secret);
    });

    it('spends a use exactly once under concurrent enrollments', async () => {
      const token = await newToken({ maxUses: 3 });
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          enrollWith(token.secret, randomUUID(), `race-${i}-${randomBytes(2).toString('hex')}`),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
      expect(answers.filter((a) => a.status === 403)).toHaveLength(5);
    });

    it('refuses unknown, revoked and expired tokens', async () => {
      expect((await enrollWith(`crl_enr_${randomBytes(32).toString('base64url')}`, randomUUID(), 'x')).status).toBe(
        401,
      );
      const revoked = await newToken();
      expect((await ctl.request('DELETE', `/api/v1/enrollment-tokens/${revoked.id}`)).status).toBe(200);
      const r = await enrollWith(revoked.secret, randomUUID(), 'x');
      expect(r.status).toBe(403);
      expect(r.body.message).toContain('revoked');
      const expired = await newToken();
      await ctl.prisma.enrollmentToken.update({
        where: { id: expired.id },
        data: { expiresAt: new Date(Date.now() - 1) },
      });
      expect((await enrollWith(expired.secret, randomUUID(), 'x')).body.message).toContain('expired');
    });

    it('needs allowTakeover to take an enrolled hostname or agent id over, and then cuts the old agent off', async () => {
      const hostname = `take-${randomBytes(3).toString('hex')}`;
      const first = await synced(ctl, hostname);
      const owner = await ctl.prisma.host.findUniqueOrThrow({ where: { id: first.hostId } });

      const plain = await newToken();
      const byName = await enrollWith(plain.secret, randomUUID(), hostname);
      expect(byName.status).toBe(409);
      expect(byName.body.message).toContain('allowTakeover');
      const byAgent = await enrollWith(plain.secret, owner.agentId, 'another-name');
      expect(byAgent.status).toBe(409);
      // A refusal does not spend the token.
      expect((await ctl.prisma.enrollmentToken.findUniqueOrThrow({ where: { id: plain.id } })).uses).toBe(0);

      const takeover = await newToken({ allowTakeover: true });
      const newAgentId = randomUUID();
      const taken = await enrollWith(takeover.secret, newAgentId, hostname);
      expect(taken.status).toBe(200);
      expect(taken.body.hostId).toBe(first.hostId);
      secrets.push(taken.body.credential);
      expect((await first.agent.waitClosed()).code).toBe(4004);
      const oldCredential = (await ctl.prisma.agentCredential.findMany({ where: { hostId: first.hostId } })).filter(
        (c) => c.revokedAt,
      );
      expect(oldCredential).toHaveLength(1);
      const fresh = await RawAgent.connect(ctl.wsUrl, as(taken.body.credential), { agentId: newAgentId, hostname });
      fresh.send(fresh.hello());
      expect((await fresh.next('welcome')).hostId).toBe(first.hostId);
      fresh.close();
    });
  });

  describe('agent socket', () => {
    it('refuses an upgrade without a credential or with a wrong one with 401, before any frame', async () => {
      expect(await upgrade(ctl.wsUrl)).toEqual({ status: 401, frames: 0 });
      expect(await upgrade(ctl.wsUrl, as(`crl_agt_${randomBytes(32).toString('base64url')}`))).toEqual({
        status: 401,
        frames: 0,
      });
      // An API token is not an agent credential.
      expect((await upgrade(ctl.wsUrl, as(operator.secret))).status).toBe(401);
    });

    it('disconnects a revoked host at once and refuses it afterwards', async () => {
      const { agent, hostId } = await synced(ctl);
      const identity = await ctl.prisma.agentCredential.findFirstOrThrow({ where: { hostId } });
      expect(identity.revokedAt).toBeNull();
      const started = Date.now();
      const revoked = await ctl.request<{ revokedCredentials: number; disconnected: number }>(
        'POST',
        `/api/v1/hosts/${hostId}/revoke`,
      );
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ revokedCredentials: 1, disconnected: 1 });
      expect((await agent.waitClosed(2_000)).code).toBe(4004);
      expect(Date.now() - started).toBeLessThan(2_000);
      const host = await ctl.prisma.host.findUniqueOrThrow({ where: { id: hostId } });
      const again = await ctl.enroll({ agentId: host.agentId, hostname: host.hostname }).catch((e: Error) => e);
      // The same agent id may enroll again with a new token once its credential is revoked...
      expect(again).not.toBeInstanceOf(Error);
      // ...but the revoked credential itself stays refused.
      const old = await ctl.prisma.agentCredential.findFirstOrThrow({ where: { hostId, revokedAt: { not: null } } });
      expect(old.revokedAt).not.toBeNull();
    });

    it('refuses a revoked credential on the next upgrade', async () => {
      const enrolled = await ctl.enroll();
      expect((await upgrade(ctl.wsUrl, enrolled.headers)).status).toBe(101);
      await ctl.request('POST', `/api/v1/hosts/${enrolled.hostId}/revoke`);
      expect(await upgrade(ctl.wsUrl, enrolled.headers)).toEqual({ status: 401, frames: 0 });
    });

    it("closes a connection whose hello claims another host's agent id", async () => {
      const victim = await ctl.enroll();
      const agent = await ctl.agent();
      agent.send(agent.hello({ agentId: victim.agentId, hostname: victim.hostname }));
      const error = await agent.next('error');
      expect(error).toMatchObject({ code: 'credential_mismatch', field: 'agentId' });
      expect(error.message).toContain('credential belongs to another host');
      expect((await agent.waitClosed()).code).toBe(4005);
      const host = await ctl.prisma.host.findUniqueOrThrow({ where: { id: victim.hostId } });
      expect(host.connectedAt).toBeNull();
    });

    it('survives floods of garbage and of frames while a well-behaved agent keeps being acknowledged', async () => {
      const good = await synced(ctl, `good-${randomBytes(2).toString('hex')}`);
      const garbage = await synced(ctl);
      const chatty = await synced(ctl);
      let seq = 2;
      let acked = 0;
      let slowest = 0;
      let flooding = true;
      const steady = (async () => {
        while (flooding && !good.agent.closed) {
          const sentAt = Date.now();
          good.agent.send({
            type: 'delta',
            seq: seq++,
            changes: [{ op: 'remove', kind: 'lease', key: 'none#10.0.0.1' }],
          });
          await good.agent.next('ack', 3_000);
          slowest = Math.max(slowest, Date.now() - sentAt);
          acked++;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const kinds = [
        () => randomBytes(64),
        () => '{"type": "delta", "seq": ',
        () => JSON.stringify({ type: 'delta', seq: 'seven', changes: 'all' }),
        () => JSON.stringify({ type: 'teleport', to: 'mars' }),
        () => JSON.stringify([1, 2, 3]),
      ];
      for (let i = 0; i < 400 && garbage.agent.socket.readyState === WebSocket.OPEN; i++) {
        garbage.agent.socket.send(kinds[i % kinds.length]!());
      }
      // Valid frames far faster than 200/s: throttled (the socket is not read for a while), not dropped.
      const floodStarted = Date.now();
      for (let i = 0; i < 700; i++) chatty.agent.send(heartbeat());
      chatty.agent.send({ type: 'delta', seq: 2, changes: [{ op: 'remove', kind: 'lease', key: 'none#10.0.0.1' }] });
      expect((await chatty.agent.next('ack', 20_000)).seq).toBe(2);
      const throttledFor = Date.now() - floodStarted;

      expect((await garbage.agent.waitClosed()).code).toBe(4008);
      flooding = false;
      await steady;
      expect(throttledFor).toBeGreaterThan(2_000);
      expect(chatty.agent.closed).toBeNull();
      expect(acked).toBeGreaterThan(20);
      expect(slowest).toBeLessThan(1_500);
      expect((await ctl.get('/healthz')).status).toBe(200);
      good.agent.close();
      chatty.agent.close();
    });
  });

  describe('audit log', () => {
    it('records changes, denials and command ends with their actors, filtered and paged', async () => {
      type Entry = {
        id: string;
        actor: string;
        actorId: string | null;
        action: string;
        targetKind: string | null;
        targetId: string | null;
        outcome: string;
        statusCode: number | null;
      };
      const audit = (query: string) => ctl.get<{ items: Entry[]; nextCursor: string | null }>(`/api/v1/audit${query}`);

      const ops = await audit(`?actor=${operator.id}`);
      const refresh = ops.body.items.find((e) => e.action === 'POST /api/v1/hosts/:host/refresh host.refresh');
      expect(refresh).toMatchObject({ actor: 'token:ops', outcome: 'ok', statusCode: 202, targetKind: 'host' });
      expect(ops.body.items.find((e) => e.action === 'POST /api/v1/tokens')).toMatchObject({
        outcome: 'denied',
        statusCode: 403,
      });
      const ended = await audit('?action=command%20host.refresh');
      expect(ended.body.items[0]).toMatchObject({ actor: 'token:ops', actorId: operator.id, outcome: 'canceled' });

      const denied = await audit('?actor=anonymous');
      expect(denied.body.items.some((e) => e.action === 'GET /api/v1/hosts' && e.statusCode === 401)).toBe(true);
      expect(denied.body.items.some((e) => e.action === 'CONNECT /agent' && e.outcome === 'denied')).toBe(true);

      const minted = await audit('?action=POST%20/api/v1/tokens&targetKind=token');
      expect(
        minted.body.items.some((e) => e.actor === 'token:admin (CORRAL_ADMIN_TOKEN)' && e.statusCode === 201),
      ).toBe(true);
      const revokes = await audit('?action=/revoke');
      expect(revokes.body.items.every((e) => e.targetKind === 'host' && e.targetId)).toBe(true);
      const enrolls = await audit('?action=POST%20/api/v1/enroll');
      expect(enrolls.body.items.some((e) => e.actor.startsWith('enrollment:') && e.targetKind === 'host')).toBe(true);

      const first = await audit('?limit=3');
      expect(first.body.items).toHaveLength(3);
      const second = await audit(`?limit=3&cursor=${first.body.nextCursor}`);
      expect(second.body.items.map((e) => e.id)).not.toContain(first.body.items[0]!.id);
      const until = await audit(`?until=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
      expect(until.body.items).toEqual([]);

      const everything = JSON.stringify((await audit('?limit=1000')).body);
      for (const s of secrets) expect(everything).not.toContain(s);
    });
  });
});

describe('first start without CORRAL_ADMIN_TOKEN', () => {
  it('makes an admin token and prints it once, never again while one is usable', async () => {
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    let ctl: TestController | undefined;
    try {
      ctl = await startTestController({ CORRAL_ADMIN_TOKEN: '' });
      const shown = printed.join('').match(/crl_api_[A-Za-z0-9_-]{43}/)?.[0];
      expect(shown).toBeDefined();
      expect(printed.join('')).toContain('shown this once');
      expect((await ctl.get('/api/v1/tokens', { authorization: `Bearer ${shown}` })).status).toBe(200);
      printed.length = 0;
      await ctl.app.close();
    } finally {
      process.stdout.write = write;
    }
    // A second start on the same database finds the admin token and prints nothing.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      const again = await createApp({
        config: ctl!.config,
        database: { url: ctl!.db.url, migrationsDir: '' },
        prisma: ctl!.prisma,
      });
      await again.init();
      await again.close();
    } finally {
      process.stdout.write = write;
    }
    expect(printed.join('')).not.toMatch(/crl_api_/);
    await ctl!.prisma.$disconnect();
    await ctl!.db.drop();
  });
});

describe('agent frame limits', () => {
  let ctl: TestController;

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_MAX_FRAME_BYTES: '4096' });
  });

  afterAll(async () => {
    await ctl?.close();
  });

  it('closes a connection with 1009 when a frame is larger than CORRAL_MAX_FRAME_BYTES', async () => {
    const agent = await ctl.agent();
    agent.send(agent.hello());
    await agent.next('welcome');
    agent.send(agent.snapshot({ padding: 'x'.repeat(10_000) }));
    expect((await agent.waitClosed()).code).toBe(1009);
    const other = await ctl.agent();
    other.send(other.hello());
    await other.next('welcome');
    other.close();
  });

  it('defaults to 64 MiB so that the snapshots of big hosts fit', async () => {
    const defaults = await startTestController();
    try {
      expect(defaults.config.maxFrameBytes).toBe(64 * 1024 * 1024);
    } finally {
      await defaults.close();
    }
  });
});
