import { KINDS, kindSpec } from './kinds.js';
import type { RecordByKind, RecordKind } from './records.js';

// What a container's key is made of: its runtime, and the Docker id or the LXC lxcpath and name.
export type ContainerRef = Pick<RecordByKind['container'], 'runtime' | 'id' | 'name' | 'lxcPath'>;

// The container key forms of the kind registry read only these fields.
export function containerKey(c: ContainerRef): string {
  return KINDS.container.keyOf(c as RecordByKind['container']);
}

// The identity of a record within one host: the controller's unique key and the delta's remove key.
// Each kind's key is declared in the kind registry (kinds.ts).
export function recordKey<K extends RecordKind>(kind: K, record: RecordByKind[K]): string {
  return kindSpec(kind).keyOf(record);
}

// A UUID in its text form (any version, either case): what Corral's ids, stream ids and agent ids look like.
export const isUuid = (value: string): boolean => UUID_TEXT.test(value);
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
