import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  type AppProcess,
  freePort,
  type ReplicaProcess,
  startBareAgent,
  startReplicaProcess,
} from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const HAPROXY = process.env.CORRAL_HAPROXY ?? '/usr/sbin/haproxy';

interface ApiHost {
  id: string;
  status: string;
  connectedAt: string | null;
}

type Replica = ReplicaProcess & { id: string };

// Two built controllers on one database behind a real TCP load balancer (haproxy, TCP mode, health
// checked), and one real agent that knows only the balancer's address. Killing the replica the
// balancer sent it to must bring it back through the other within 5 s, and commands must flow.
describe('an agent behind a TCP load balancer in front of two replicas', () => {
  const admin = `corral-it-admin-${randomBytes(16).toString('hex')}`;
  const hostname = `balanced-${randomBytes(3).toString('hex')}`;
  let db: TestDatabase;
  let sql: pg.Client;
  let scratch = '';
  const replicas: Replica[] = [];
  let balancer: ChildProcess | null = null;
  const balancerOutput: string[] = [];
  let lbPort = 0;
  let agent: AppProcess;

  const startReplica = async (id: string): Promise<Replica> => ({
    id,
    ...(await startReplicaProcess(db.url, scratch, admin, { CORRAL_REPLICA_ID: id })),
  });

  // `balance first`: every connection goes to the first server that is up, so the test knows
  // which replica the agent lands on; a server that refuses connections is down within 200 ms, and
  // a connection to a dead one is dispatched to the other.
  const startBalancer = async () => {
    lbPort = await freePort();
    const config = path.join(scratch, 'haproxy.cfg');
    await writeFile(
      config,
      [
        'global',
        '  maxconn 256',
        'defaults',
        '  mode tcp',
        '  timeout connect 1s',
        '  timeout client 1h',
        '  timeout server 1h',
        '  retries 2',
        '  option redispatch',
        'frontend corral',
        `  bind 127.0.0.1:${lbPort}`,
        '  default_backend replicas',
        'backend replicas',
        '  balance first',
        ...replicas.map((r) => `  server ${r.id} 127.0.0.1:${r.port} check inter 200 fall 1 rise 2`),
        '',
      ].join('\n'),
    );
    const child = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => balancerOutput.push(...chunk.toString().split('\n').filter(Boolean)));
    }
    balancer = child;
    await waitFor(
      'the balancer listening',
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${balancerOutput.join('\n')}`);
        return (await fetch(`http://127.0.0.1:${lbPort}/healthz`).catch(() => null))?.ok;
      },
      10_000,
      50,
    );
  };

  const hostRow = async () =>
    (
      await sql.query<{ id: string; replicaId: string | null; status: string; connectedAt: Date | null }>(
        `SELECT id, "replicaId", status, "connectedAt" FROM "Host" WHERE hostname = $1`,
        [hostname],
      )
    ).rows[0];

  beforeAll(async () => {
    if (!existsSync(HAPROXY))
      throw new Error(`no haproxy at ${HAPROXY} (apt-get install haproxy, or run scripts/engines-up.sh)`);
    db = await createTestDatabase('corral_balanced');
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'corral-balanced-'));
    // One after the other: the first applies the migrations the second then finds done.
    replicas.push(await startReplica('lb-a'));
    replicas.push(await startReplica('lb-b'));
    await startBalancer();
    const token = await replicas[0]!.client.request<{ secret: string }>('POST', '/api/v1/enrollment-tokens', {
      name: hostname,
    });
    expect(token.status).toBe(201);
    agent = await startBareAgent(scratch, `ws://127.0.0.1:${lbPort}/agent`, token.body.secret, hostname);
  });

  afterAll(async () => {
    await agent?.kill();
    balancer?.kill('SIGKILL');
    for (const replica of replicas) await replica.process.kill();
    await sql?.end().catch(() => undefined);
    await db?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('comes back through the other replica within 5 s when the one it was sent to is killed, and runs commands', async () => {
    const before = await waitFor(
      'the agent online through the balancer',
      async () => {
        const row = await hostRow();
        return row?.status === 'online' && row;
      },
      30_000,
      50,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${agent.tail()}\n${balancerOutput.join('\n')}`);
    });
    // The balancer sends every connection to the first server that is up.
    expect(before.replicaId).toBe('lb-a');
    const [dead, survivor] = replicas as [Replica, Replica];

    const killedAt = Date.now();
    await dead.process.kill('SIGKILL');
    const after = await waitFor(
      'the agent online through the other replica',
      async () => {
        const row = await hostRow();
        return (
          row?.status === 'online' &&
          row.replicaId === survivor.id &&
          (row.connectedAt?.getTime() ?? 0) >= killedAt &&
          row
        );
      },
      5_000,
      50,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${agent.tail()}\n${balancerOutput.join('\n')}`);
    });
    console.log(
      `behind haproxy: online through ${survivor.id} ${after.connectedAt!.getTime() - killedAt} ms after the SIGKILL`,
    );
    expect(after.id).toBe(before.id);
    const host = await survivor.client.request<ApiHost>('GET', `/api/v1/hosts/${after.id}`);
    expect(host.body.status).toBe('online');

    const refresh = await survivor.client.request<{ status: string }>(
      'POST',
      `/api/v1/hosts/${after.id}/refresh?wait=30`,
    );
    expect([200, 202]).toContain(refresh.status);
    expect(refresh.body.status).toBe('succeeded');
  });
});
