import { appendFile, chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../lib/logger.js';
import { silentLogger } from '../lib/logger.js';
import { CommandJournal, JOURNAL_FILE, parseJournal } from './journal.js';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (msg: string) => warnings.push(msg) };
}

const lines = async (dir: string) =>
  (await readFile(path.join(dir, JOURNAL_FILE), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('CommandJournal', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'corral-journal-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the journal (it holds exec output) 0600 in a 0700 directory, also one an older version left 0644', async () => {
    const stateDir = path.join(dir, 'state');
    const { journal: sut } = await CommandJournal.open(stateDir, { logger: silentLogger });
    await sut.finish('c1', 'container.exec', { ok: true, result: { stdout: 'secret' } });
    await sut.close();
    expect((await stat(path.join(stateDir, JOURNAL_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);

    await chmod(path.join(stateDir, JOURNAL_FILE), 0o644);
    await writeFile(path.join(stateDir, `${JOURNAL_FILE}.tmp`), 'torn', { mode: 0o644 });
    const reopened = await CommandJournal.open(stateDir, { logger: silentLogger });
    await reopened.journal.close();
    expect((await stat(path.join(stateDir, JOURNAL_FILE))).mode & 0o777).toBe(0o600);
  });

  it('writes started before running and finished with the result, and reads them back', async () => {
    const { journal: sut } = await CommandJournal.open(dir, { logger: silentLogger });
    await sut.start('c1', 'container.start');
    expect(sut.isRunning('c1')).toBe(true);
    expect(await lines(dir)).toEqual([{ type: 'started', id: 'c1', op: 'container.start', at: expect.any(String) }]);
    await sut.finish('c1', 'container.start', { ok: true, result: { id: 'abc' } });
    expect(sut.isRunning('c1')).toBe(false);
    await sut.close();

    const reopened = await CommandJournal.open(dir, { logger: silentLogger });
    expect(reopened.interrupted).toEqual([]);
    expect(reopened.journal.finished('c1')).toMatchObject({ id: 'c1', ok: true, result: { id: 'abc' } });
    await reopened.journal.close();
  });

  it('ends a command started but never finished as interrupted, once, and journals that', async () => {
    const { journal } = await CommandJournal.open(dir, { logger: silentLogger });
    await journal.start('c1', 'container.exec');
    await journal.close();

    const first = await CommandJournal.open(dir, { logger: silentLogger });
    expect(first.interrupted).toHaveLength(1);
    expect(first.journal.finished('c1')).toMatchObject({
      ok: false,
      op: 'container.exec',
      error: { code: 'interrupted', retryable: false },
    });
    expect(first.journal.unconfirmed().map((e) => e.id)).toEqual(['c1']);
    await first.journal.close();

    const second = await CommandJournal.open(dir, { logger: silentLogger });
    expect(second.interrupted).toEqual([]);
    expect(second.journal.finished('c1')?.ok).toBe(false);
    await second.journal.close();
  });

  it('drops a torn last line and keeps everything before it', async () => {
    const file = path.join(dir, JOURNAL_FILE);
    await writeFile(
      file,
      [
        JSON.stringify({ type: 'started', id: 'c1', op: 'container.start', at: '2024-01-01T00:00:00.000Z' }),
        JSON.stringify({
          type: 'finished',
          id: 'c1',
          op: 'container.start',
          at: '2024-01-01T00:00:01.000Z',
          ok: true,
          result: { id: 'a' },
        }),
        JSON.stringify({ type: 'started', id: 'c2', op: 'container.stop', at: '2024-01-01T00:00:02.000Z' }),
        '{"type":"finished","id":"c2","op":"container.stop","ok":tr',
      ].join('\n'),
    );
    const logger = recordingLogger();
    const { journal: sut, interrupted } = await CommandJournal.open(dir, { logger });
    expect(logger.warnings).toContain('command journal: dropping a torn last line');
    expect(sut.finished('c1')?.ok).toBe(true);
    // c2's finish never reached the disk whole, so it counts as interrupted.
    expect(interrupted.map((e) => e.id)).toEqual(['c2']);
    // The rewritten file parses cleanly and new appends start on a fresh line.
    await sut.start('c3', 'container.start');
    await sut.close();
    expect((await lines(dir)).map((l) => [l.type, l.id])).toEqual([
      ['finished', 'c1'],
      ['finished', 'c2'],
      ['started', 'c3'],
    ]);
  });

  it('skips a bad line in the middle and says so', () => {
    const logger = recordingLogger();
    const parsed = parseJournal(
      [
        'garbage',
        JSON.stringify({ type: 'finished', id: 'c1', op: 'x', at: 't', ok: false, error: { code: 'timeout' } }),
        '',
      ].join('\n'),
      'f',
      logger,
    );
    expect(logger.warnings).toEqual(['command journal: skipping a bad line']);
    expect([...parsed.finished.keys()]).toEqual(['c1']);
  });

  it('compacts at open, keeping the newest finished entries and their confirmations', async () => {
    const { journal } = await CommandJournal.open(dir, { logger: silentLogger });
    for (let i = 0; i < 5; i++) {
      await journal.start(`c${i}`, 'container.start');
      await journal.finish(`c${i}`, 'container.start', { ok: true, result: { n: i } });
    }
    journal.confirm('c4');
    await journal.close();

    const { journal: sut } = await CommandJournal.open(dir, { logger: silentLogger, keep: 3 });
    expect(sut.finished('c0')).toBeUndefined();
    expect(sut.finished('c1')).toBeUndefined();
    expect(sut.finished('c2')?.result).toEqual({ n: 2 });
    expect(sut.unconfirmed().map((e) => e.id)).toEqual(['c2', 'c3']);
    await sut.close();
    expect((await lines(dir)).map((l) => [l.type, l.id, l.confirmed])).toEqual([
      ['finished', 'c2', false],
      ['finished', 'c3', false],
      ['finished', 'c4', true],
    ]);
  });

  it('holds at most `keep` finished entries in memory while running', async () => {
    const { journal: sut } = await CommandJournal.open(dir, { logger: silentLogger, keep: 2 });
    for (const id of ['a', 'b', 'c']) await sut.finish(id, 'container.start', { ok: true, result: {} });
    expect(sut.finished('a')).toBeUndefined();
    expect(sut.unconfirmed().map((e) => e.id)).toEqual(['b', 'c']);
    await sut.close();
  });

  it('keeps lines whole when appends race', async () => {
    const { journal: sut } = await CommandJournal.open(dir, { logger: silentLogger });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sut.finish(`c${i}`, 'container.exec', { ok: true, result: { out: 'x'.repeat(10_000 + i) } }),
      ),
    );
    await sut.close();
    expect(await lines(dir)).toHaveLength(50);
  });

  it('starts empty when there is no file, and survives an empty one', async () => {
    const { journal, interrupted } = await CommandJournal.open(dir, { logger: silentLogger });
    expect(interrupted).toEqual([]);
    await journal.close();
    await appendFile(path.join(dir, JOURNAL_FILE), '\n');
    const again = await CommandJournal.open(dir, { logger: silentLogger });
    expect(again.journal.unconfirmed()).toEqual([]);
    await again.journal.close();
  });
});
