import { type ContainerRecord, type Snapshot, sampleDockerContainer } from '@corral/protocol';
import { DEFAULT_SHAPE, SyntheticHost } from '@corral/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorralEvent, EventBus } from '../../apps/controller/src/services/event-bus.js';
import { InventoryService } from '../../apps/controller/src/services/inventory.service.js';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';

const TABLES = ['Container', 'Image', 'Volume', 'Network', 'Bridge', 'Lease'] as const;

// A host's first snapshot is copied in (COPY, no comparison with stored rows); any later one is
// compared and upserted. Both must store the same rows and announce the same events.
describe('first snapshot', () => {
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

  // Everything the synthetic host reports, plus containers whose strings need escaping in COPY text.
  function snapshot(seq: number): Snapshot {
    const inv = new SyntheticHost({ ...DEFAULT_SHAPE, containersPerHost: 12, seed: 7 }, 3).inventory();
    const odd: ContainerRecord[] = [
      {
        ...sampleDockerContainer,
        id: 'a'.repeat(64),
        name: 'tab\there',
        command: 'sh -c "echo \\"hi\\"\n\tdone\r" \\ \\N',
        labels: { 'with space': 'a\tb', quote: '"q"', back: 'c:\\dir', nul: 'x\u0000y', empty: '' },
        ipv4: ['10.9.0.2', '10.9.0.3'],
      },
      { ...sampleDockerContainer, id: 'b'.repeat(64), name: 'nul\u0000name', command: null, status: null, labels: {} },
    ];
    return { type: 'snapshot', seq, ...inv, containers: [...inv.containers, ...odd] };
  }

  async function host(agentId: string): Promise<string> {
    return (await ctl.prisma.host.create({ data: { agentId, hostname: agentId } })).id;
  }

  async function stored(hostId: string) {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) {
      const rows = await ctl.prisma.$queryRawUnsafe<Record<string, unknown>[]>(
        `SELECT * FROM "${t}" WHERE "hostId" = $1::uuid ORDER BY key`,
        hostId,
      );
      out[t] = rows.map(({ id: _id, hostId: _h, observedAt: _o, ...rest }) => rest);
    }
    return out;
  }

  const eventsOf = (hostId: string) =>
    events
      .filter((e) => e.hostId === hostId)
      .map((e) => ({ type: e.type, kind: e.kind, data: { ...e.data, id: undefined, hostId: undefined } }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  it('stores the same rows and events through COPY as through compare-and-upsert', async () => {
    const copied = await host('first-copy');
    const compared = await host('first-compare');
    // An empty first snapshot: the host's next one goes through the comparison.
    await inventory.applySnapshot(compared, snapshotOf(1, [], []));
    events.length = 0;
    const frame = snapshot(1);
    await Promise.all([
      inventory.applySnapshot(copied, frame),
      inventory.applySnapshot(compared, { ...frame, seq: 2 }),
    ]);

    const a = await stored(copied);
    const b = await stored(compared);
    expect(a.Container).toHaveLength(14);
    expect(a.Lease!.length).toBeGreaterThan(0);
    for (const t of TABLES) expect(a[t], t).toEqual(b[t]);
    const odd = a.Container!.find((r) => (r as { engineId: string }).engineId === 'a'.repeat(64)) as Record<
      string,
      unknown
    >;
    expect(odd).toMatchObject({
      name: 'tab\there',
      command: 'sh -c "echo \\"hi\\"\n\tdone\r" \\ \\N',
      labels: { 'with space': 'a\tb', quote: '"q"', back: 'c:\\dir', nul: 'xy', empty: '' },
      ipv4: ['10.9.0.2', '10.9.0.3'],
    });
    expect(a.Container!.some((r) => (r as { name: string }).name === 'nulname')).toBe(true);

    const ea = eventsOf(copied);
    expect(ea.length).toBe(Object.values(a).reduce((n, rows) => n + rows.length, 0));
    expect(ea).toEqual(eventsOf(compared));
    // Event ids name the stored rows.
    const ids = new Set(
      (await ctl.prisma.container.findMany({ where: { hostId: copied }, select: { id: true } })).map((r) => r.id),
    );
    const containerEvents = events.filter((e) => e.hostId === copied && e.kind === 'container');
    expect(containerEvents.every((e) => ids.has(e.data.id as string))).toBe(true);
  });

  it('compares when a host at seq 0 already holds rows (a snapshot sent with seq 0 before)', async () => {
    const id = await host('first-seq0');
    // The same frame twice (the synthetic leases' expiry moves with the clock).
    const frame = snapshot(0);
    await inventory.applySnapshot(id, frame);
    const before = await ctl.prisma.container.findMany({ where: { hostId: id }, orderBy: { key: 'asc' } });
    events.length = 0;
    await inventory.applySnapshot(id, frame);
    const after = await ctl.prisma.container.findMany({ where: { hostId: id }, orderBy: { key: 'asc' } });
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    expect(events.filter((e) => e.hostId === id)).toEqual([]);
  });
});
