import { describe, expect, it } from 'vitest';
import type { Config } from '../config/config.js';
import type {
  AcceptedCommand,
  CommandRepository,
  CommandRow,
  FinishedCommand,
} from '../repositories/command.repository.js';
import type { CommandLimitsRepository } from '../repositories/command-limits.repository.js';
import type { UploadRepository } from '../repositories/upload.repository.js';
import { CommandLifecycle } from './command-lifecycle.js';
import { CommandNotifier } from './command-notifier.js';
import { commandRow, FIXTURE_HOST } from './command-row.fixture.js';
import { type CorralEvent, EventBus } from './event-bus.js';
import type { ImageOriginService } from './image-origin.service.js';
import { MetricsService } from './metrics.service.js';
import { ResultCapService } from './result-cap.js';

const idOf = (n: number) => `6f0c7a53-6f3e-4b8e-9a7e-2a1b3c4d5e${String(n).padStart(2, '0')}`;

const row = (id: string, status: CommandRow['status']): CommandRow => commandRow(status, { id });

// Answers accepts and results as the database would; a statement can be held, and ids refused.
class FakeCommands {
  readonly statements: string[][] = [];
  readonly refused = new Set<string>();
  private gates: (() => void)[] = [];
  hold = false;

  acceptMany = (_from: unknown, items: AcceptedCommand[]) => this.write(items, (i) => row(i.id, 'running'));

  finishMany = (_from: unknown, items: FinishedCommand[]) => this.write(items, (i) => row(i.id, i.status));

  release(): void {
    this.hold = false;
    for (const g of this.gates.splice(0)) g();
  }

  private async write<I extends { id: string }>(items: I[], toRow: (item: I) => CommandRow): Promise<CommandRow[]> {
    this.statements.push(items.map((i) => i.id));
    if (this.hold) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (items.some((i) => this.refused.has(i.id))) throw new Error('invalid input syntax for type json');
    return items.map(toRow);
  }
}

const setup = () => {
  const repo = new FakeCommands();
  const bus = new EventBus();
  const events: CorralEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const sut = new CommandLifecycle(
    { now: () => new Date('2026-11-29T07:01:00Z') },
    repo as unknown as CommandRepository,
    new CommandNotifier(
      bus,
      { listen: () => () => true, notify: async () => {}, alone: () => false } as never,
      new MetricsService(),
    ),
    {} as UploadRepository,
    new ResultCapService({ maxResultBytes: 1024 * 1024 } as Config, {} as CommandLimitsRepository),
    { records: () => false } as unknown as ImageOriginService,
  );
  return { sut, repo, events, session: FIXTURE_HOST };
};

describe('CommandLifecycle', () => {
  it('writes accepts and results that arrive together in one statement each', async () => {
    const { sut, repo, events, session } = setup();
    repo.hold = true;
    const accepts = [1, 2, 3, 4].map((n) => sut.accepted(session, idOf(n)));
    await new Promise((r) => setImmediate(r));
    repo.release();
    await Promise.all(accepts);
    repo.hold = true;
    const results = [1, 2, 3, 4].map((n) =>
      sut.finished(session, { type: 'command.result', id: idOf(n), ok: true, result: {}, error: null }),
    );
    await new Promise((r) => setImmediate(r));
    repo.release();
    await Promise.all(results);
    // Two statements at a time: the first two go alone, the two arriving meanwhile together.
    const batches = [[idOf(1)], [idOf(2)], [idOf(3), idOf(4)]];
    expect(repo.statements).toEqual([...batches, ...batches]);
    expect(events.map((e) => e.type)).toEqual([
      ...Array(4).fill('command-running'),
      ...Array(4).fill('command-succeeded'),
    ]);
  });

  it('writes a refused batch again one by one, so only the bad frame fails', async () => {
    const { sut, repo, events, session } = setup();
    repo.hold = true;
    const alone = [1, 2].map((n) => sut.accepted(session, idOf(n)));
    const together = [3, 4].map((n) =>
      sut.accepted(session, idOf(n)).then(
        () => 'ok',
        (err: Error) => err.message,
      ),
    );
    await new Promise((r) => setImmediate(r));
    repo.refused.add(idOf(3));
    repo.release();
    await Promise.all(alone);
    expect(await Promise.all(together)).toEqual(['invalid input syntax for type json', 'ok']);
    expect(repo.statements).toEqual([[idOf(1)], [idOf(2)], [idOf(3), idOf(4)], [idOf(3)], [idOf(4)]]);
    expect(events.map((e) => (e.data as { id: string }).id)).toEqual([idOf(1), idOf(2), idOf(4)]);
  });
});
