import type { RecordByKind, RecordKind } from './records.js';

// The identity of a record within one host: the controller's unique key and the delta's remove key.
export function recordKey<K extends RecordKind>(kind: K, record: RecordByKind[K]): string {
  switch (kind) {
    case 'container': {
      const c = record as RecordByKind['container'];
      return c.runtime === 'docker' ? `docker:${c.id}` : `lxc:${c.lxcPath ?? ''}/${c.name}`;
    }
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
