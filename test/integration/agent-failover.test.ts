import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type AppProcess, type ReplicaProcess, startBareAgent, startReplicaProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

interface ApiHost {
  id: string;
  status: string;
  connectedAt: string | null;
}

// Two built controllers on one database and one real agent given both URLs (no engines: the agent's
// Docker socket and lxcpath are empty, so it reports a host with none). Killing the replica it is
// connected to must move it to the other within 5 s, and commands must flow through the survivor.
describe('agent failover between controller replicas', () => {
  const admin = `corral-it-admin-${randomBytes(16).toString('hex')}`;
  const hostname = `failover-${randomBytes(3).toString('hex')}`;
  let db: TestDatabase;
  let scratch = '';
  const replicas: ReplicaProcess[] = [];
  let agent: AppProcess;

  // The replica URL named by the agent's latest "connected to controller" log line, if any.
  const connectedUrl = (): string | undefined => {
    for (const line of [...agent.output].reverse()) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'connected to controller') return entry.url;
    }
    return undefined;
  };

  const hostVia = async (replica: ReplicaProcess): Promise<ApiHost | undefined> => {
    const res = await replica.client.request<{ items: ApiHost[] }>('GET', `/api/v1/hosts?name=${hostname}`);
    return res.body.items[0];
  };

  const startReplica = () => startReplicaProcess(db.url, scratch, admin);

  beforeAll(async () => {
    db = await createTestDatabase('corral_failover');
    scratch = await mkdtemp(path.join(os.tmpdir(), 'corral-failover-'));
    // One after the other: the first applies the migrations the second then finds done.
    replicas.push(await startReplica());
    replicas.push(await startReplica());
    const token = await replicas[0]!.client.request<{ secret: string }>('POST', '/api/v1/enrollment-tokens', {
      name: hostname,
    });
    expect(token.status).toBe(201);
    // Blanks around the entries are allowed.
    const urls = ` ${replicas[0]!.wsUrl} , ${replicas[1]!.wsUrl} `;
    agent = await startBareAgent(scratch, urls, token.body.secret, hostname);
  });

  afterAll(async () => {
    await agent?.kill();
    for (const replica of replicas) await replica.process.kill();
    await db?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('moves to the other replica within 5 s of a SIGKILL of its own, and runs commands through it', async () => {
    const first = await waitFor('the agent connected', () => connectedUrl(), 30_000, 50).catch((err) => {
      throw new Error(`${(err as Error).message}\n${agent.tail()}`);
    });
    const dead = replicas.find((r) => r.wsUrl === first)!;
    const survivor = replicas.find((r) => r !== dead)!;
    expect(dead).toBeDefined();
    const before = await waitFor('host online', async () => {
      const host = await hostVia(dead);
      return host?.status === 'online' && host;
    });

    const killedAt = Date.now();
    await dead.process.kill('SIGKILL');
    const after = await waitFor(
      'host online through the surviving replica',
      async () => {
        const host = await hostVia(survivor);
        return host?.status === 'online' && host.connectedAt && Date.parse(host.connectedAt) >= killedAt && host;
      },
      5_000,
      50,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${agent.tail()}`);
    });
    const movedInMs = Date.parse(after.connectedAt!) - killedAt;
    console.log(`agent failover: connected to the other replica ${movedInMs} ms after the SIGKILL`);
    expect(after.id).toBe(before.id);
    expect(connectedUrl()).toBe(survivor.wsUrl);

    const refresh = await survivor.client.request<{ status: string }>(
      'POST',
      `/api/v1/hosts/${after.id}/refresh?wait=30`,
    );
    expect([200, 202]).toContain(refresh.status);
    expect(refresh.body.status).toBe('succeeded');
  });
});
