import { describe, expect, it } from 'vitest';
import { recordKey } from './keys.js';
import { KIND_SPECS, KINDS, kindSpec } from './kinds.js';
import { RECORD_KINDS } from './records.js';
import { sampleDockerContainer, sampleLease, sampleLxcContainer } from './samples.js';

describe('kind registry', () => {
  it('has one entry per record kind, in RECORD_KINDS order', () => {
    expect(KIND_SPECS.map((k) => k.kind)).toEqual([...RECORD_KINDS]);
    expect(() => kindSpec('bogus' as never)).toThrow('unknown record kind bogus');
  });

  it('keys records as the protocol documents them', () => {
    expect(recordKey('container', sampleDockerContainer)).toBe(`docker:${sampleDockerContainer.id}`);
    expect(recordKey('container', sampleLxcContainer)).toBe('lxc:/var/lib/lxc/c1');
    expect(recordKey('container', { ...sampleLxcContainer, lxcPath: null })).toBe('lxc:/c1');
    expect(recordKey('lease', sampleLease)).toBe(`${sampleLease.source}#${sampleLease.ip}`);
    expect(recordKey('image', { id: 'sha256:1', tags: [], sizeBytes: 1, createdAt: null, labels: {} })).toBe(
      'sha256:1',
    );
    expect(recordKey('volume', KINDS.volume.schema.parse(volume))).toBe('data');
  });

  it('reads column values from the record, search columns included', () => {
    const row = Object.fromEntries(KINDS.container.columns.map((c) => [c.name, c.value(sampleDockerContainer)]));
    expect(row.engineId).toBe(sampleDockerContainer.id);
    expect(row.labelText).toBe('corral.test=1\napp=web');
    expect(row.macs).toEqual(['02:42:ac:11:00:02']);
    expect(KINDS.lease.column('mac').value({ ...sampleLease, mac: 'AA:BB:CC:DD:EE:FF' })).toBe('aa:bb:cc:dd:ee:ff');
  });

  it('takes nullability from the record schema and hides search columns from answers', () => {
    expect(KINDS.container.column('lxcPath')).toMatchObject({ nullable: true, field: 'lxcPath', as: 'lxcPath' });
    expect(KINDS.container.column('name')).toMatchObject({ nullable: false });
    expect(KINDS.container.column('labelText')).toMatchObject({ nullable: false, field: null, as: null });
    expect(KINDS.lease.column('hostname')).toMatchObject({ as: 'clientHostname', field: 'hostname' });
    expect(() => KINDS.image.column('name')).toThrow('kind image has no column name');
  });

  it('names every event of a kind, the summary and sort columns among its columns', () => {
    expect(KINDS.bridge.events.types).toEqual([
      'bridge-added',
      'bridge-removed',
      'bridge-up',
      'bridge-down',
      'bridge-updated',
    ]);
    for (const spec of KIND_SPECS) {
      for (const c of [spec.sort, ...spec.events.summary, ...spec.events.volatile])
        expect(() => spec.column(c)).not.toThrow();
      expect(new Set(spec.events.types).size).toBe(spec.events.types.length);
    }
  });
});

const volume = { name: 'data', driver: 'local', mountpoint: null, labels: {}, createdAt: null, usedBy: [] };
