import {
  type Change,
  type HostFacts,
  type Inventory,
  type RecordByKind,
  type RecordKind,
  recordKey,
} from '@corral/protocol';
import type { CollectorOutput } from '../collectors/collector.js';

const OUTPUT_KINDS: [keyof CollectorOutput, RecordKind][] = [
  ['containers', 'container'],
  ['images', 'image'],
  ['volumes', 'volume'],
  ['networks', 'network'],
  ['bridges', 'bridge'],
  ['leases', 'lease'],
  ['findings', 'finding'],
];

interface Entry {
  record: RecordByKind[RecordKind];
  json: string;
}

// What the agent last saw, per source and kind. Feeding it a collector's full output yields the
// changes since the previous one, so deltas carry only what changed.
export class StateStore {
  private readonly sources = new Map<string, Map<RecordKind, Map<string, Entry>>>();
  private facts: HostFacts | null = null;
  private factsJson = '';

  // Replaces what `source` owns with `output`; kinds absent from `output` are left as they were.
  update(source: string, output: CollectorOutput): Change[] {
    let kinds = this.sources.get(source);
    if (!kinds) {
      kinds = new Map();
      this.sources.set(source, kinds);
    }
    const changes: Change[] = [];
    for (const [field, kind] of OUTPUT_KINDS) {
      const records = output[field] as RecordByKind[RecordKind][] | undefined;
      if (!records) continue;
      const previous = kinds.get(kind) ?? new Map<string, Entry>();
      const next = new Map<string, Entry>();
      for (const record of records) {
        const key = recordKey(kind, record);
        const json = JSON.stringify(record);
        next.set(key, { record, json });
        if (previous.get(key)?.json !== json) {
          changes.push({ op: 'upsert', kind, record } as Change);
        }
      }
      for (const key of previous.keys()) {
        if (!next.has(key)) changes.push({ op: 'remove', kind, key });
      }
      kinds.set(kind, next);
    }
    return changes;
  }

  // Forgets everything a source owned (its runtime went away), returning the removals.
  clear(source: string): Change[] {
    const kinds = this.sources.get(source);
    if (!kinds) return [];
    const changes: Change[] = [];
    for (const [kind, entries] of kinds) {
      for (const key of entries.keys()) changes.push({ op: 'remove', kind, key });
    }
    this.sources.delete(source);
    return changes;
  }

  updateFacts(facts: HostFacts): Change[] {
    const json = JSON.stringify(facts);
    if (json === this.factsJson) return [];
    this.facts = facts;
    this.factsJson = json;
    return [{ op: 'upsert', kind: 'facts', record: facts }];
  }

  hasFacts(): boolean {
    return this.facts !== null;
  }

  inventory(): Inventory {
    if (!this.facts) throw new Error('host facts have not been collected yet');
    const all = (kind: RecordKind) => {
      const out: RecordByKind[RecordKind][] = [];
      for (const kinds of this.sources.values()) {
        for (const entry of kinds.get(kind)?.values() ?? []) out.push(entry.record);
      }
      return out;
    };
    return {
      facts: this.facts,
      containers: all('container') as Inventory['containers'],
      images: all('image') as Inventory['images'],
      volumes: all('volume') as Inventory['volumes'],
      networks: all('network') as Inventory['networks'],
      bridges: all('bridge') as Inventory['bridges'],
      leases: all('lease') as Inventory['leases'],
      findings: all('finding') as Inventory['findings'],
    };
  }
}
