import { type ContainerRecord, type Delta, recordKey, type Snapshot, sampleDockerContainer } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorralEvent, EventBus } from '../../apps/controller/src/services/event-bus.js';
import { InventoryService } from '../../apps/controller/src/services/inventory.service.js';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';

// Frames of many hosts applied together (one transaction per batch) behave as if applied one by one.
describe('ingest batches', () => {
  let ctl: TestController;
  let inventory: InventoryService;
  let events: CorralEvent[];

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_OFFLINE_GRACE_MS: '600000' });
    inventory = ctl.app.get(InventoryService);
    events = [];
    ctl.app.get(EventBus).subscribe((e) => events.push(e));
  });

  afterAll(async () => {
    await ctl?.close();
  });

  const container = (host: number, i: number, over: Partial<ContainerRecord> = {}): ContainerRecord => ({
    ...sampleDockerContainer,
    id: `${host.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}${'0'.repeat(48)}`,
    name: `h${host}-c${i}`,
    ...over,
  });

  const snapshot = (seq: number, containers: ContainerRecord[]): Snapshot => snapshotOf(seq, containers, []);

  async function hosts(n: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const host = await ctl.prisma.host.create({ data: { agentId: `${prefix}-${i}`, hostname: `${prefix}-${i}` } });
      ids.push(host.id);
    }
    return ids;
  }

  it('applies many hosts at once, keeps row ids, and fails only the host whose data is refused', async () => {
    const ids = await hosts(30, 'batch');
    await Promise.all(
      ids.map((id, h) =>
        inventory.applySnapshot(
          id,
          snapshot(
            1,
            [0, 1, 2].map((i) => container(h, i)),
          ),
        ),
      ),
    );
    expect(await ctl.prisma.container.count({ where: { hostId: { in: ids } } })).toBe(90);
    const before = await ctl.prisma.container.findMany({ where: { hostId: ids[0] }, orderBy: { key: 'asc' } });

    await ctl.prisma.$executeRawUnsafe(
      `CREATE FUNCTION refuse_batch() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.name = 'refused' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`,
    );
    await ctl.prisma.$executeRawUnsafe(
      'CREATE TRIGGER refuse_batch BEFORE INSERT OR UPDATE ON "Container" FOR EACH ROW EXECUTE FUNCTION refuse_batch()',
    );
    try {
      events.length = 0;
      // Every host drops c2 and stops c0; host 7 also renames c1 to a refused name.
      const results = await Promise.allSettled(
        ids.map((id, h) =>
          inventory.applySnapshot(
            id,
            snapshot(2, [container(h, 0, { state: 'exited' }), container(h, 1, h === 7 ? { name: 'refused' } : {})]),
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
      expect(results[7]!.status).toBe('rejected');
      const rows = await ctl.prisma.container.findMany({ where: { hostId: { in: ids } } });
      expect(rows).toHaveLength(29 * 2 + 3);
      const after = await ctl.prisma.container.findMany({ where: { hostId: ids[0] }, orderBy: { key: 'asc' } });
      expect(after.map((r) => r.id)).toEqual(before.slice(0, 2).map((r) => r.id));
      // Nothing of the refused host's snapshot, and one stopped and one removed event per other host.
      expect(events.filter((e) => e.hostId === ids[7])).toEqual([]);
      expect(events.filter((e) => e.type === 'container-stopped')).toHaveLength(29);
      expect(events.filter((e) => e.type === 'container-removed')).toHaveLength(29);
      const seqs = await ctl.prisma.host.findMany({ where: { id: { in: ids } }, select: { id: true, lastSeq: true } });
      for (const s of seqs) expect(Number(s.lastSeq)).toBe(s.id === ids[7] ? 1 : 2);
    } finally {
      await ctl.prisma.$executeRawUnsafe('DROP TRIGGER refuse_batch ON "Container"');
    }
  });

  it('orders each host, and a delta naming a record twice reports each change', async () => {
    const [id] = await hosts(1, 'steps');
    await inventory.applySnapshot(id!, snapshot(1, [container(99, 0)]));
    events.length = 0;
    const key = recordKey('container', container(99, 0));
    const delta = (seq: number, changes: Delta['changes']): Delta => ({ type: 'delta', seq, changes });
    const outcomes = await Promise.all([
      inventory.applyDelta(
        id!,
        delta(2, [
          { op: 'upsert', kind: 'container', record: container(99, 0, { state: 'exited' }) },
          { op: 'upsert', kind: 'container', record: container(99, 0, { state: 'running' }) },
          { op: 'remove', kind: 'container', key },
        ]),
      ),
      inventory.applyDelta(id!, delta(3, [{ op: 'upsert', kind: 'container', record: container(99, 1) }])),
      inventory.applyDelta(id!, delta(3, [])),
      inventory.applyDelta(id!, delta(5, [])),
    ]);
    expect(outcomes.map((o) => o.result)).toEqual(['applied', 'applied', 'duplicate', 'gap']);
    expect(events.map((e) => [e.type, e.data.name])).toEqual([
      ['container-stopped', 'h99-c0'],
      ['container-started', 'h99-c0'],
      ['container-removed', 'h99-c0'],
      ['container-created', 'h99-c1'],
    ]);
  });
});
