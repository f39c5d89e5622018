import type { RecordByKind, RecordKind } from './records.js';

// What a container's key is made of: its runtime, and the Docker id or the LXC lxcpath and name.
export type ContainerRef = Pick<RecordByKind['container'], 'runtime' | 'id' | 'name' | 'lxcPath'>;

export function containerKey(c: ContainerRef): string {
  return c.runtime === 'docker' ? `docker:${c.id}` : `lxc:${c.lxcPath ?? ''}/${c.name}`;
}

// The identity of a record within one host: the controller's unique key and the delta's remove key.
export function recordKey<K extends RecordKind>(kind: K, record: RecordByKind[K]): string {
  switch (kind) {
    case 'container':
      return containerKey(record as RecordByKind['container']);
    case 'image':
      return (record as RecordByKind['image']).id;
    case 'volume':
      return (record as RecordByKind['volume']).name;
    case 'network':
      return (record as RecordByKind['network']).id;
    case 'bridge':
      return (record as RecordByKind['bridge']).name;
    case 'lease': {
      const l = record as RecordByKind['lease'];
      return `${l.source}#${l.ip}`;
    }
    default:
      throw new Error(`unknown record kind ${String(kind)}`);
  }
}
