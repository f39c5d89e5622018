import { recordKey, sampleDockerContainer, sampleFacts, sampleLease, sampleLxcContainer } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { StateStore } from './state-store.js';

describe('StateStore', () => {
  it('reports new records as upserts and nothing when fed the same state again', () => {
    const sut = new StateStore();
    const first = sut.update('docker', { containers: [sampleDockerContainer] });
    const again = sut.update('docker', { containers: [{ ...sampleDockerContainer }] });
    expect(first).toEqual([{ op: 'upsert', kind: 'container', record: sampleDockerContainer }]);
    expect(again).toEqual([]);
  });

  it('reports changed records and vanished ones', () => {
    const sut = new StateStore();
    sut.update('lxc', { containers: [sampleLxcContainer, { ...sampleLxcContainer, id: 'c2', name: 'c2' }] });
    const changes = sut.update('lxc', { containers: [{ ...sampleLxcContainer, state: 'stopped' }] });
    expect(changes).toEqual([
      { op: 'upsert', kind: 'container', record: { ...sampleLxcContainer, state: 'stopped' } },
      { op: 'remove', kind: 'container', key: 'lxc:/var/lib/lxc/c2' },
    ]);
  });

  it('keeps sources apart and leaves kinds a source did not report untouched', () => {
    const sut = new StateStore();
    sut.update('docker', { containers: [sampleDockerContainer], images: [] });
    sut.update('lxc', { containers: [sampleLxcContainer] });
    expect(sut.update('docker', { images: [] })).toEqual([]);
    sut.updateFacts(sampleFacts);
    expect(sut.inventory().containers).toHaveLength(2);
  });

  it('clears a source whose runtime went away', () => {
    const sut = new StateStore();
    sut.update('leases', { leases: [sampleLease] });
    expect(sut.clear('leases')).toEqual([{ op: 'remove', kind: 'lease', key: recordKey('lease', sampleLease) }]);
    sut.updateFacts(sampleFacts);
    expect(sut.inventory().leases).toEqual([]);
  });

  it('emits facts only when they change and refuses a snapshot before any', () => {
    const sut = new StateStore();
    expect(() => sut.inventory()).toThrow(/facts/);
    expect(sut.updateFacts(sampleFacts)).toHaveLength(1);
    expect(sut.updateFacts({ ...sampleFacts })).toEqual([]);
    expect(sut.updateFacts({ ...sampleFacts, cpuCount: 4 })).toHaveLength(1);
  });
});
