import { kindSpec } from './kinds.js';
import type { RecordByKind, RecordKind } from './records.js';

// The identity of a record within one host: the controller's unique key and the delta's remove key.
// Each kind's key is declared in the kind registry (kinds.ts).
export function recordKey<K extends RecordKind>(kind: K, record: RecordByKind[K]): string {
  return kindSpec(kind).keyOf(record);
}
