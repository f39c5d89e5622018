import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLxcSnapshotList } from './lxc-snapshot.parser.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../../../test/fixtures/lxc/${name}`, import.meta.url), 'utf8');
// lxc-snapshot prints local time; the expected values are built in the same zone the parser reads them in.
const local = (...p: [number, number, number, number, number, number]) =>
  new Date(p[0], p[1] - 1, p[2], p[3], p[4], p[5]).toISOString();

describe('parseLxcSnapshotList', () => {
  it('parses lxc-snapshot 5.0.2 -L -C output, including a comment without a final newline', () => {
    const sut = parseLxcSnapshotList(fixture('lxc-snapshot-list.txt'));
    expect(sut.warnings).toEqual([]);
    expect(sut.snapshots).toEqual([
      { name: 'snap0', createdAt: local(2026, 11, 29, 7, 3, 20), comment: 'before upgrade\nsecond line' },
      { name: 'snap1', createdAt: local(2026, 11, 29, 7, 3, 20), comment: null },
      { name: 'snap2', createdAt: local(2026, 11, 29, 7, 3, 21), comment: 'no final newline' },
      { name: 'snap3', createdAt: local(2026, 11, 29, 7, 3, 21), comment: null },
    ]);
  });

  it('reads "No snapshots" as an empty list', () => {
    expect(parseLxcSnapshotList(fixture('lxc-snapshot-list.empty.txt'))).toEqual({ snapshots: [], warnings: [] });
  });

  it('orders snap10 after snap9', () => {
    const text = ['snap10 (/l/c/snaps) 2026:01:02 03:04:05', 'snap9 (/l/c/snaps) 2026:01:02 03:04:05', ''].join('\n');
    expect(parseLxcSnapshotList(text).snapshots.map((s) => s.name)).toEqual(['snap9', 'snap10']);
  });

  it('handles an lxcpath with spaces and parentheses', () => {
    const sut = parseLxcSnapshotList('snap0 (/srv/my lxc (old)/c/snaps) 2026:01:02 03:04:05\n');
    expect(sut.snapshots).toEqual([{ name: 'snap0', createdAt: local(2026, 1, 2, 3, 4, 5), comment: null }]);
  });

  it('reports text before the first header and an impossible date as null', () => {
    const sut = parseLxcSnapshotList('garbage\nsnap0 (/l/c/snaps) 2026:13:45 03:04:05\n');
    expect(sut.warnings).toEqual([{ line: 1, text: 'garbage', reason: 'text before the first snapshot header' }]);
    expect(sut.snapshots).toEqual([{ name: 'snap0', createdAt: null, comment: null }]);
  });
});
