import { describe, expect, it } from 'vitest';
import type { AuditRepository, NewAuditEntry } from '../repositories/audit.repository.js';
import { AuditService } from './audit.service.js';

// Stores what it is given; an insert can be held until released, and entries can be refused.
class FakeAuditRepository {
  readonly inserts: NewAuditEntry[][] = [];
  readonly stored: NewAuditEntry[] = [];
  refuse = new Set<string>();
  private held: (() => void)[] = [];
  hold = false;

  async insert(entries: NewAuditEntry[]): Promise<void> {
    this.inserts.push(entries);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (entries.some((e) => this.refuse.has(e.action))) throw new Error('refused');
    this.stored.push(...entries);
  }

  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
}

const clock = { now: () => new Date('2026-11-29T09:00:00Z') };
const setup = () => {
  const repo = new FakeAuditRepository();
  const sut = new AuditService(clock, repo as unknown as AuditRepository);
  return { sut, repo };
};
const entry = (action: string) => ({ action, outcome: 'ok', statusCode: 202 });

describe('AuditService', () => {
  it('writes an entry at once when nothing else is being written, and answers once it is stored', async () => {
    const { sut, repo } = setup();
    await sut.record(entry('POST /a'));
    expect(repo.inserts).toHaveLength(1);
    expect(repo.stored[0]).toMatchObject({ action: 'POST /a', actor: 'anonymous', at: clock.now() });
  });

  it('writes two at a time, and what arrives meanwhile together in the next insert', async () => {
    const { sut, repo } = setup();
    repo.hold = true;
    const alone = [sut.record(entry('POST /1')), sut.record(entry('POST /2'))];
    const rest = [sut.record(entry('POST /3')), sut.record(entry('POST /4'))];
    let restDone = false;
    void Promise.all(rest).then(() => {
      restDone = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(restDone).toBe(false);
    repo.release();
    await Promise.all([...alone, ...rest]);
    expect(repo.inserts.map((batch) => batch.map((e) => e.action))).toEqual([
      ['POST /1'],
      ['POST /2'],
      ['POST /3', 'POST /4'],
    ]);
  });

  it('stores the others of a batch when the database refuses one entry', async () => {
    const { sut, repo } = setup();
    repo.hold = true;
    const alone = [sut.record(entry('POST /1')), sut.record(entry('POST /2'))];
    const batch = [sut.record(entry('POST /bad')), sut.record(entry('POST /ok'))];
    repo.refuse.add('POST /bad');
    repo.release();
    await Promise.all([...alone, ...batch]);
    expect(repo.stored.map((e) => e.action)).toEqual(['POST /1', 'POST /2', 'POST /ok']);
  });
});
