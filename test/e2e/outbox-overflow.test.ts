import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corral, type Page } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// The agent's outbox of unacknowledged deltas across a disconnect (its link to the controller cut by a
// TCP proxy): a short outage is replayed delta by delta; a long busy one overflows the outbox
// (CORRAL_OUTBOX_LIMIT) and the agent resyncs with a snapshot. Either way the API ends equal to Docker.

const OUTBOX_LIMIT = 4;
// The agent collects a source at most once a second, so changes this far apart make one delta each.
const CHANGE_GAP_MS = 1_300;

interface LogEntry {
  time: string;
  msg: string;
  [key: string]: unknown;
}

describe('agent outbox across a disconnect', () => {
  const corral = new Corral({ agentThroughProxy: true, agentEnv: { CORRAL_OUTBOX_LIMIT: String(OUTBOX_LIMIT) } });
  const made: string[] = [];
  let seq = 0;

  const log = (since: number): LogEntry[] =>
    corral.agent.output
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogEntry)
      .filter((e) => Date.parse(e.time) >= since);
  const logged = (since: number, msg: string) => log(since).filter((e) => e.msg === msg);
  const waitLogged = (since: number, msg: string, timeoutMs = 60_000) =>
    waitFor(`agent log "${msg}"`, () => logged(since, msg)[0], timeoutMs, 100).catch((err) => {
      throw new Error(`${(err as Error).message}\n${corral.agent.tail(20)}`);
    });

  const create = async () => {
    const name = `corral-test-ob-${corral.tag}-${++seq}`;
    await sh('docker', ['create', '--name', name, '--label', 'corral.test=1', TEST_IMAGE, 'sleep', '3600']);
    made.push(name);
    return name;
  };
  const pause = () => new Promise((r) => setTimeout(r, CHANGE_GAP_MS));

  // The API's Docker containers of this host equal `docker ps -a` (ids and states), and no LXC ones
  // appear (its lxcpath is empty).
  const converged = () =>
    waitFor(
      'API equal to docker ps -a',
      async () => {
        const [api, engine] = await Promise.all([
          corral.get<Page<{ runtime: string; engineId: string; state: string }>>(
            `/api/v1/containers?host=${corral.hostId}&limit=1000`,
          ),
          sh('docker', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.State}}']),
        ]);
        const apiView = api.body.items.map((c) => `${c.runtime}:${c.engineId} ${c.state}`).sort();
        const engineView = engine
          .split('\n')
          .filter(Boolean)
          .map((l) => `docker:${l}`)
          .sort();
        return JSON.stringify(apiView) === JSON.stringify(engineView) ? apiView : undefined;
      },
      60_000,
      250,
    );

  beforeAll(async () => {
    await corral.start();
    await converged();
  }, 180_000);

  afterAll(async () => {
    if (made.length > 0) await sh('docker', ['rm', '-f', ...made]).catch(() => {});
    await corral.stop();
  });

  it(`a short outage with fewer than ${OUTBOX_LIMIT} deltas is replayed from the outbox`, async () => {
    const cutAt = Date.now();
    corral.agentProxy!.block('refuse');
    await waitLogged(cutAt, 'disconnected; reconnecting', 10_000);
    const names = [await create()];
    await pause();
    names.push(await create());
    await pause();
    const healedAt = Date.now();
    corral.agentProxy!.unblock();
    const resumed = await waitLogged(healedAt, 'resumed session');
    expect(resumed.resending).toBeGreaterThanOrEqual(2);
    expect(resumed.resending).toBeLessThan(OUTBOX_LIMIT);
    expect(logged(cutAt, 'unacknowledged deltas overflowed; a snapshot will resync the controller')).toEqual([]);
    expect(logged(healedAt, 'sent snapshot')).toEqual([]);
    const view = await converged();
    for (const name of names) {
      const c = await corral.container(name);
      expect(view).toContain(`docker:${c?.engineId} created`);
    }
  });

  it(`a long busy outage past CORRAL_OUTBOX_LIMIT=${OUTBOX_LIMIT} makes the agent resync with a snapshot`, async () => {
    const cutAt = Date.now();
    corral.agentProxy!.block('refuse');
    await waitLogged(cutAt, 'disconnected; reconnecting', 10_000);
    // More changes than the outbox holds: creations, a start, a removal of one made before.
    const names: string[] = [];
    for (let i = 0; i < OUTBOX_LIMIT + 2; i++) {
      names.push(await create());
      await pause();
    }
    await sh('docker', ['start', names[0]!]);
    await pause();
    const removed = made[0]!;
    await sh('docker', ['rm', '-f', removed]);
    made.splice(0, 1);
    // The overflow happens while still cut off: the deltas are dropped, a snapshot is owed.
    await waitLogged(cutAt, 'unacknowledged deltas overflowed; a snapshot will resync the controller', 20_000);
    expect(corral.agentProxy!.blocked).toBe(true);
    const healedAt = Date.now();
    corral.agentProxy!.unblock();
    const snapshot = await waitLogged(healedAt, 'sent snapshot');
    expect(logged(healedAt, 'resumed session')).toEqual([]);
    const view = await converged();
    console.log(
      `outbox overflow: snapshot seq ${snapshot.seq} with ${snapshot.containers} containers, ${Date.parse(snapshot.time) - healedAt} ms after the link came back`,
    );
    const started = await corral.container(names[0]!);
    expect(started?.state).toBe('running');
    expect(view).toContain(`docker:${started?.engineId} running`);
    for (const name of names.slice(1)) expect((await corral.container(name))?.state).toBe('created');
    expect(await corral.container(removed)).toBeUndefined();
  });
});
