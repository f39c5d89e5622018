import { afterAll, describe, expect, it } from 'vitest';
import { ClusterChannel } from '../../apps/controller/src/cluster/cluster-channel.js';
import { REPLICA_REFRESH_MS, REPLICA_STALE_MS } from '../../apps/controller/src/cluster/replica.service.js';
import { startTestController, type TestController } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

// Whether a replica is alone decides whether it sends the notes only others read: it must learn of
// another replica from its hello at once, and from the Replica table (read with its own row's
// refresh) when a hello was lost, counting only rows that are fresh.
describe('a replica knows whether others serve the same database', () => {
  const started: TestController[] = [];
  const start = async (...args: Parameters<typeof startTestController>) => {
    const t = await startTestController(...args);
    started.push(t);
    return t;
  };

  afterAll(async () => {
    // Replicas first: each owner drops its database when it closes.
    for (const t of started.reverse()) await t.close();
  });

  const alone = (t: TestController) => t.app.get(ClusterChannel).alone();

  it('learns of a replica that starts from its hello, and the new one of it at once', async () => {
    const a = await start({ CORRAL_REPLICA_ID: 'peers-a' });
    expect(alone(a)).toBe(true);
    const b = await start({ CORRAL_REPLICA_ID: 'peers-b' }, { replicaOf: a });
    // B read A's fresh row while starting; A is told by B's hello.
    expect(alone(b)).toBe(false);
    await waitFor('a hears b', () => !alone(a), 1_000, 20);
  });

  it("counts another replica's fresh Replica row (a hello it never heard), not a stale one", async () => {
    const c = await start({ CORRAL_REPLICA_ID: 'peers-c' });
    expect(alone(c)).toBe(true);
    // A replica that died long ago left its row: not a peer.
    await c.prisma.replica.create({
      data: {
        id: 'peers-dead',
        url: 'http://127.0.0.1:9',
        lastSeenAt: new Date(Date.now() - REPLICA_STALE_MS - 5_000),
      },
    });
    await new Promise((r) => setTimeout(r, REPLICA_REFRESH_MS + 500));
    expect(alone(c)).toBe(true);
    // One whose hello was lost: a peer from the next refresh on.
    await c.prisma.replica.create({ data: { id: 'peers-quiet', url: 'http://127.0.0.1:9', lastSeenAt: new Date() } });
    await waitFor('c counts the quiet replica', () => !alone(c), REPLICA_REFRESH_MS + 1_000);
  });
});
