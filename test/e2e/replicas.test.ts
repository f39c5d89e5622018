import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sampleLease } from '@corral/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiCommand } from '../fleet/fleet-api.js';
import {
  createFleet,
  FLEET_IMAGE,
  type Fleet,
  FleetApi,
  type FleetController,
  type FleetHost,
} from '../fleet/index.js';
import { describeDiff, waitConverged } from '../fleet/inventory-check.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { until } from '../fleet/run.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';
import { RawAgent } from '../support/raw-agent.js';
import { SseClient, type SseMessage } from '../support/sse.js';

// Three controller processes on one database, real agents in network namespaces: host i's agent
// talks to replica i. Requests go to one replica, the agent that carries them out to another.
const prereqs = await checkFleetPrereqs();
const tag = `r${randomBytes(3).toString('hex')}`;
const GRACE_MS = 3_000;
const HEARTBEAT_MS = 1_000;
const LEADER_LINE = 'this replica now runs the sweepers';

describe.skipIf(!prereqs.ok)('three controller replicas on one database', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let fleet: Fleet;
  const api = (replica: number) => new FleetApi(fleet.replica(replica).baseUrl);
  const hostIds = new Map<string, string>();
  let seq = 0;

  const hostRow = async (hostId: string) =>
    (
      await sql.query<{ replicaId: string | null; connectionEpoch: string; status: string }>(
        'SELECT "replicaId", "connectionEpoch"::text, status::text FROM "Host" WHERE id = $1',
        [hostId],
      )
    ).rows[0]!;
  const dockerRun = async (host: FleetHost) => {
    const name = `corral-test-${tag}-h${host.state.index}-d${++seq}`;
    await host.docker(['run', '-d', '--name', name, '--label', 'corral.test=1', FLEET_IMAGE, 'sleep', '3600']);
    return name;
  };
  const containerId = async (replica: number, host: FleetHost, name: string) =>
    until(
      `${name} in the API of replica ${replica}`,
      async () => (await api(replica).containers(hostIds.get(host.name)!)).find((c) => c.name === name)?.id,
      30_000,
      200,
    );
  const lines = async (host: FleetHost, container: string, file: string) =>
    Number((await host.docker(['exec', container, 'sh', '-c', `cat ${file} 2>/dev/null | wc -l`])).trim());
  // Replicas whose log says they took the sweepers' lease, with how often each said it.
  const leaseTakers = () =>
    fleet.controllers.map((c) => readFileSync(c.state.logFile, 'utf8').split(LEADER_LINE).length - 1);
  // How often a container of this name had this event type in these stream messages.
  const eventsOf = (messages: SseMessage[], type: string, name: string) =>
    messages.filter((m) => m.event === type && (JSON.parse(m.data) as { data: { name?: string } }).data.name === name)
      .length;
  const openEvents = (replica: number, query: string, headers: Record<string, string> = {}) =>
    SseClient.open(`${fleet.replica(replica).baseUrl}/api/v1/events?${query}`, { ...api(replica).headers, ...headers });
  const logs = () =>
    fleet.controllers.map((c, i) => `--- replica r${i + 1}\n${c.logTail(20)}`).join('\n') +
    fleet.hosts.map((h) => `\n--- ${h.name}\n${h.agentLog(10)}`).join('');

  beforeAll(async () => {
    db = await createTestDatabase('corral_replicas');
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    fleet = await createFleet({
      hosts: 3,
      dockerHosts: 2,
      tag,
      startController: {
        databaseUrl: db.url,
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        replicas: 3,
        env: {
          CORRAL_OFFLINE_GRACE_MS: String(GRACE_MS),
          CORRAL_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
        },
      },
      agentReplicas: (index) => [index],
    });
    for (const host of fleet.hosts) {
      const row = await until(
        `${host.name} online`,
        async () => {
          const found = await api(1).host(host.name);
          return found?.status === 'online' && found.facts ? found : undefined;
        },
        60_000,
        200,
      );
      hostIds.set(host.name, row.id);
    }
  });

  afterAll(async () => {
    await sql?.end();
    if (fleet) {
      const report = await fleet.destroy();
      expect(report.problems).toEqual([]);
    } else {
      await db?.drop();
    }
  });

  it('each agent is held by the replica it connected to', async () => {
    for (const host of fleet.hosts) {
      const row = await until(`${host.name} held by r${host.state.index}`, async () => {
        const r = await hostRow(hostIds.get(host.name)!);
        return r.replicaId === `r${host.state.index}` ? r : undefined;
      });
      expect(Number(row.connectionEpoch)).toBeGreaterThan(0);
    }
  });

  it('a command issued on one replica for an agent held by another runs once, and ?wait answers where it was issued', async () => {
    // [replica the request goes to, host whose agent another replica holds]
    const pairs: [number, FleetHost][] = [
      [1, fleet.host(2)],
      [3, fleet.host(1)],
      [2, fleet.host(1)],
    ];
    for (const [replica, host] of pairs) {
      const target = await dockerRun(host);
      const id = await containerId(replica, host, target);
      const file = `/tmp/cross-r${replica}`;
      const res = await api(replica).post<ApiCommand>(`/api/v1/containers/${id}/exec`, {
        command: ['sh', '-c', `echo ran >> ${file}`],
      });
      expect(res.status).toBe(202);
      const ended = await api(replica).command(res.body.id, 30);
      expect(ended.status, `r${replica} -> ${host.name}: ${JSON.stringify(ended)}\n${logs()}`).toBe('succeeded');
      expect(await lines(host, target, file)).toBe(1);
    }
  });

  it('an SSE client on r3 sees every event of the hosts r1 and r2 hold exactly once', async () => {
    const [h1, h2] = [fleet.host(1), fleet.host(2)];
    // Container events of the whole fleet; the names made here are counted.
    const stream = await openEvents(3, 'kind=container');
    try {
      const names: string[] = [];
      for (let i = 0; i < 3; i++) for (const h of [h1, h2]) names.push(await dockerRun(h));
      const removed = names.slice(0, 2);
      await h1.docker(['rm', '-f', removed[0]!]);
      await h2.docker(['rm', '-f', removed[1]!]);
      await stream.waitFor(
        (c) =>
          names.every((n) => eventsOf(c.messages, 'container-created', n) >= 1) &&
          removed.every((n) => eventsOf(c.messages, 'container-removed', n) >= 1),
        30_000,
      );
      // Anything doubled would come within the log's follow interval (1 s).
      await new Promise((r) => setTimeout(r, 2_500));
      for (const n of names) expect(eventsOf(stream.messages, 'container-created', n), n).toBe(1);
      for (const n of removed) expect(eventsOf(stream.messages, 'container-removed', n), n).toBe(1);
      const ids = stream.messages.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(stream.messages.filter((m) => m.event === 'reset')).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('a stale connection after a partition: the older socket is closed (4409) and its frames are refused', async () => {
    const host = fleet.host(3);
    const hostId = hostIds.get(host.name)!;
    await host.killAgent('SIGKILL');
    const agentDir = path.join(host.state.dir, 'agent');
    const { credential } = JSON.parse(readFileSync(path.join(agentDir, 'credential'), 'utf8')) as {
      credential: string;
    };
    const agentId = readFileSync(path.join(agentDir, 'agent-id'), 'utf8').trim();
    const headers = { authorization: `Bearer ${credential}` };
    const identity = { agentId, hostname: host.name };
    const wsUrl = (c: FleetController) => `ws://127.0.0.1:${c.state.port}/agent`;
    // A non-zero lastAckedSeq the controller holds: no snapshot is asked for, deltas go on from lastSeq.
    const older = await RawAgent.connect(wsUrl(fleet.replica(1)), headers, identity);
    older.send(older.hello({ lastAckedSeq: 1 }));
    const welcomeA = await older.next('welcome', 10_000);
    const epochA = Number((await hostRow(hostId)).connectionEpoch);
    expect((await hostRow(hostId)).replicaId).toBe('r1');

    const newer = await RawAgent.connect(wsUrl(fleet.replica(2)), headers, identity);
    newer.send(newer.hello({ lastAckedSeq: 1 }));
    const welcomeB = await newer.next('welcome', 10_000);
    const row = await hostRow(hostId);
    expect(row.replicaId).toBe('r2');
    expect(Number(row.connectionEpoch)).toBeGreaterThan(epochA);

    // The partitioned side goes on as if nothing happened.
    const ghost = { ...sampleLease, mac: '00:16:3e:de:ad:01', ip: '10.60.3.201', hostname: 'stale' };
    older.send({ type: 'delta', seq: welcomeA.lastSeq + 1, changes: [{ op: 'upsert', kind: 'lease', record: ghost }] });
    const closed = await older.waitClosed(10_000);
    expect(closed.code).toBe(4409);
    // Either the delta reached r1 before the close and was refused, or it was never read.
    const errors = older.received.filter((m) => m.type === 'error');
    for (const e of errors) expect(e).toMatchObject({ code: 'superseded' });
    expect(older.received.some((m) => m.type === 'ack')).toBe(false);

    // The newer connection is the host's: its delta lands, the stale one's did not.
    const fresh = { ...sampleLease, mac: '00:16:3e:de:ad:02', ip: '10.60.3.202', hostname: 'fresh' };
    newer.send({ type: 'delta', seq: welcomeB.lastSeq + 1, changes: [{ op: 'upsert', kind: 'lease', record: fresh }] });
    await newer.next('ack', 10_000);
    const leases = await api(3).leases(hostId);
    expect(leases.map((l) => l.ip)).toContain(fresh.ip);
    expect(leases.map((l) => l.ip)).not.toContain(ghost.ip);
    expect(newer.closed).toBeNull();

    // The real agent comes back (through r3): it supersedes the raw one, its snapshot drops the fake lease.
    newer.close();
    host.startAgent();
    await until(
      `${host.name} back on r3 without the fake lease`,
      async () => {
        const r = await hostRow(hostId);
        const ips = (await api(3).leases(hostId)).map((l) => l.ip);
        return r.replicaId === 'r3' && r.status === 'online' && !ips.includes(fresh.ip);
      },
      60_000,
      200,
    );
  });

  it('kill -9 of the sweep leader: another replica takes the lease and offline hosts are still marked within grace + 5 s', async () => {
    const takers = leaseTakers();
    expect(
      takers.filter((n) => n > 0),
      `lease taken by: ${takers.join(',')}`,
    ).toHaveLength(1);
    const leader = takers.findIndex((n) => n > 0) + 1;
    const survivors = [1, 2, 3].filter((r) => r !== leader);
    // A host on a surviving replica whose agent stops (only the sweep can mark it), and the
    // hosts the leader held (their agents know no other replica, so nobody refreshes them).
    const stopped = fleet.host(survivors[0]!);
    const orphaned = fleet.host(leader);
    const watcher = api(survivors[1]!);
    for (const h of [stopped, orphaned]) expect((await watcher.host(h.name))?.status).toBe('online');

    const started = Date.now();
    await stopped.killAgent('SIGKILL');
    await fleet.replica(leader).stop('SIGKILL');
    const offlineMs: Record<string, number> = {};
    await Promise.all(
      [stopped, orphaned].map(async (h) => {
        await until(
          `${h.name} offline through r${survivors[1]}`,
          async () => (await watcher.host(h.name))?.status === 'offline',
          GRACE_MS + 15_000,
          100,
        );
        offlineMs[h.name] = Date.now() - started;
      }),
    );
    const after = leaseTakers();
    const newLeader = survivors.filter((r) => after[r - 1]! > takers[r - 1]!);
    console.log(
      `leader r${leader} killed; lease taken by r${newLeader.join(',r')}; offline after ${JSON.stringify(offlineMs)} ms (grace ${GRACE_MS})`,
    );
    expect(newLeader, logs()).toHaveLength(1);
    for (const ms of Object.values(offlineMs)) expect(ms).toBeLessThanOrEqual(GRACE_MS + 5_000);

    // Back to three replicas and every agent online, for whatever runs next.
    await fleet.replica(leader).start();
    stopped.startAgent();
    for (const h of [stopped, orphaned]) {
      await until(`${h.name} online again`, async () => (await watcher.host(h.name))?.status === 'online', 60_000, 200);
    }
  });

  it('kill -9 of the replica holding an agent during a running exec and churn: the agent is on another replica within 5 s, every command runs once, nothing is lost', async () => {
    const host = fleet.host(1);
    const hostId = hostIds.get(host.name)!;
    // The agent lists every replica (it starts on the one its id hashes to).
    const epochBefore = Number((await hostRow(hostId)).connectionEpoch);
    await host.killAgent('SIGTERM');
    host.pointAgentAt(fleet.agentUrl([1, 2, 3]));
    host.startAgent();
    const row = await until(
      `${host.name} back with the replica list`,
      async () => {
        const r = await hostRow(hostId);
        return Number(r.connectionEpoch) > epochBefore && r.status === 'online' ? r : undefined;
      },
      60_000,
      100,
    );
    const holder = Number(row.replicaId!.slice(1));
    const [sa, sb] = [1, 2, 3].filter((r) => r !== holder) as [number, number];
    const target = await dockerRun(host);
    const id = await containerId(sa, host, target);
    // A stream on the replica about to die; it resumes on another with Last-Event-ID.
    const first = await openEvents(holder, `kind=container&host=${hostId}`);
    const exec = async (replica: number, line: string) => {
      const res = await api(replica).post<ApiCommand>(`/api/v1/containers/${id}/exec`, {
        command: ['sh', '-c', line],
      });
      expect(res.status).toBe(202);
      return res.body;
    };
    // An exec the agent is running when its replica dies.
    const running = await exec(sa, 'sleep 8; echo ran >> /tmp/inflight');
    await until('the exec running', async () => (await api(sa).command(running.id)).status === 'running', 30_000, 50);
    // Churn on the engine while the replica dies: containers created, and every other one removed.
    let churning = true;
    const churned: string[] = [];
    const churn = (async () => {
      while (churning) {
        churned.push(await dockerRun(host));
        // Every container lives past the agent's next collection (it reports state at most once a
        // second per engine, so one gone sooner may never be reported, failover or not).
        await new Promise((r) => setTimeout(r, 1_200));
        if (churned.length % 2 === 0) await host.docker(['rm', '-f', churned.at(-2)!]);
      }
    })();
    churn.catch(() => undefined);
    try {
      // Commands issued through a survivor just before the kill and while the agent moves.
      const issued: ApiCommand[] = [];
      for (let i = 0; i < 2; i++) issued.push(await exec(sb, `echo ran >> /tmp/churn-${i}`));
      await first.waitFor((c) => churned.some((n) => eventsOf(c.messages, 'container-created', n) > 0), 30_000);
      expect((await api(sa).command(running.id)).status, 'the exec still runs at the kill').toBe('running');
      const killedAt = Date.now();
      await fleet.replica(holder).stop('SIGKILL');
      await first.waitFor((c) => c.ended, 10_000);
      const lastId = first.messages.filter((m) => m.id !== null).at(-1)?.id;
      expect(lastId, 'the first stream saw some churn').toBeTruthy();
      const resumed = await openEvents(sa, `kind=container&host=${hostId}`, { 'last-event-id': lastId! });
      for (let i = 2; i < 5; i++) issued.push(await exec(sb, `echo ran >> /tmp/churn-${i}`));
      const moved = await until(
        `${host.name} on another replica`,
        async () => {
          const r = await hostRow(hostId);
          return r.replicaId !== `r${holder}` && r.status === 'online' ? r : undefined;
        },
        30_000,
        50,
      );
      const movedMs = Date.now() - killedAt;
      const churnedAtMove = churned.length;
      await until('some churn after the move', () => churned.length >= churnedAtMove + 4, 30_000, 100);
      churning = false;
      await churn;
      console.log(
        `r${holder} killed: ${host.name} on ${moved.replicaId} after ${movedMs} ms; ${churned.length} containers churned`,
      );
      expect(movedMs, logs()).toBeLessThanOrEqual(5_000);

      expect((await api(sa).command(running.id, 30)).status).toBe('succeeded');
      expect(await lines(host, target, '/tmp/inflight')).toBe(1);
      for (const [i, c] of issued.entries()) {
        expect((await api(sb).command(c.id, 30)).status, `command ${i}`).toBe('succeeded');
        expect(await lines(host, target, `/tmp/churn-${i}`), `command ${i}`).toBe(1);
      }
      const { diff, converged } = await waitConverged(api(sa), [{ host, id: hostId }], 60_000);
      expect(converged, describeDiff(diff)).toBe(true);
      expect(diff.lost + diff.duplicated + diff.ghosts + diff.wrongState).toBe(0);

      // What the fleet's event log holds for this host's containers after the first stream's last
      // event is what the resumed stream gets: each event once, none missing, no reset.
      const logged = async () =>
        (
          await sql.query<{ id: string; type: string; name: string | null }>(
            `SELECT (b.id * 1000000 + e.i - 1)::text AS id, e.ev->>'type' AS type, e.ev->'data'->>'name' AS name
             FROM "EventBatch" b, jsonb_array_elements(b.events) WITH ORDINALITY AS e(ev, i)
             WHERE e.ev->>'hostId' = $1 AND e.ev->>'kind' = 'container' AND b.id * 1000000 + e.i - 1 > $2::bigint
             ORDER BY b.id, e.i`,
            [hostId, lastId],
          )
        ).rows;
      const both = () => [...first.messages, ...resumed.messages];
      const removed = churned.filter((_, i) => i % 2 === 0 && i + 1 < churned.length);
      const kept = churned.filter((n) => !removed.includes(n));
      // Containers still there are known to the inventory (it converged): their created events came.
      await resumed.waitFor(() => kept.every((n) => eventsOf(both(), 'container-created', n) >= 1), 30_000);
      await new Promise((r) => setTimeout(r, 2_500));
      resumed.close();
      const got = resumed.messages.filter((m) => m.id !== null && m.event !== 'reset');
      const lastGot = got.length > 0 ? BigInt(got.at(-1)!.id!) : BigInt(lastId!);
      // An engine status update logged after the stream closed is the only thing it may not have.
      const expected = (await logged()).filter((e) => BigInt(e.id) <= lastGot || e.type !== 'container-updated');
      expect(got.map((m) => `${m.id} ${m.event}`)).toEqual(expected.map((e) => `${e.id} ${e.type}`));
      expect(resumed.messages.filter((m) => m.event === 'reset')).toEqual([]);
      const eventIds = both().map((m) => m.id);
      expect(new Set(eventIds).size).toBe(eventIds.length);
      // Over both streams each container's history is whole: created once, and removed once if it
      // was removed, across the kill and the move.
      for (const n of kept) expect(eventsOf(both(), 'container-created', n), n).toBe(1);
      let unseen = 0;
      for (const n of removed) {
        const created = eventsOf(both(), 'container-created', n);
        const gone = eventsOf(both(), 'container-removed', n);
        expect([created, gone], n).toEqual(created === 0 ? [0, 0] : [1, 1]);
        if (created === 0) unseen++;
      }
      expect(unseen, 'containers never reported').toBe(0);
    } finally {
      churning = false;
      await churn.catch(() => undefined);
      if (!fleet.replica(holder).running) await fleet.replica(holder).start();
    }
  });

  it('/metrics of every replica parses as Prometheus text, and corral_leader is 1 on exactly one', async () => {
    const scrape = async (c: FleetController) => {
      const res = await fetch(`${c.baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      return parseSamples(await res.text());
    };
    const leaders = await until(
      'one leader among the replicas',
      async () => {
        const values = await Promise.all(fleet.controllers.map(async (c) => (await scrape(c)).get(LEADER_SAMPLE)));
        return values.filter((v) => v === 1).length === 1 ? values : undefined;
      },
      15_000,
      250,
    );
    expect(
      leaders.every((v) => v === 0 || v === 1),
      JSON.stringify(leaders),
    ).toBe(true);
    // Each replica counts the agents it holds, and together they hold the fleet (an agent whose only
    // replica was killed and restarted comes back after its backoff, up to 30 s).
    await until(
      'every agent counted once across the replicas',
      async () => {
        const held = await Promise.all(
          fleet.controllers.map(async (c) => (await scrape(c)).get('corral_agents_connected') ?? 0),
        );
        return held.reduce((a, b) => a + b, 0) === fleet.hosts.length;
      },
      60_000,
      500,
    );
  });
});

const LEADER_SAMPLE = 'corral_leader{job="sweepers"}';

// Samples of a Prometheus text exposition by `name{labels}` as written; a line that is neither a
// comment, blank nor a sample fails the parse.
function parseSamples(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    // Float text as Go's ParseFloat reads it: NaN and Inf in any case (prom-client writes "Nan").
    const raw = m[2]!;
    const value = /^nan$/i.test(raw)
      ? Number.NaN
      : /^[+-]?inf$/i.test(raw)
        ? Number(raw.replace(/inf/i, 'Infinity'))
        : Number(raw);
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`not a sample value: ${line}`);
    samples.set(m[1]!, value);
  }
  return samples;
}
