import {
  type ColumnType,
  KIND_SPECS,
  type KindSpec,
  kindSpec,
  type RecordByKind,
  type RecordKind,
} from '@corral/protocol';
import { type Expression, type RawBuilder, sql } from 'kysely';

// The inventory tables as SQL sees them, all derived from the kind registry in @corral/protocol.

export type PgType = 'text' | 'text[]' | 'jsonb' | 'timestamptz' | 'bigint' | 'integer' | 'boolean';

export const PG_TYPES: Record<ColumnType, PgType> = {
  string: 'text',
  'string[]': 'text[]',
  json: 'jsonb',
  timestamp: 'timestamptz',
  int64: 'bigint',
  int32: 'integer',
  boolean: 'boolean',
};

export type InventoryTable = 'Container' | 'Image' | 'Volume' | 'Network' | 'Bridge' | 'Lease';

export interface TableSpec {
  table: InventoryTable;
  // Every column the agent's records fill, in table order (not id, hostId, key, observedAt).
  columns: Record<string, PgType>;
  // Columns that describe a row in its change events.
  summary: readonly string[];
  // Columns whose change alone is not worth an event (engine status text that ages, metrics).
  volatile: readonly string[];
  toRow(record: unknown): Record<string, unknown>;
}

function tableOf(spec: KindSpec): TableSpec {
  const columns = spec.columns;
  return {
    table: spec.table as InventoryTable,
    columns: Object.fromEntries(columns.map((c) => [c.name, PG_TYPES[c.type]])),
    summary: spec.events.summary,
    volatile: spec.events.volatile,
    toRow(record) {
      const row: Record<string, unknown> = {};
      for (const c of columns) row[c.name] = c.value(record);
      return row;
    },
  };
}

export const TABLES = Object.fromEntries(KIND_SPECS.map((spec) => [spec.kind, tableOf(spec)])) as Record<
  RecordKind,
  TableSpec
>;

export function rowFor<K extends RecordKind>(
  kind: K,
  hostId: string,
  record: RecordByKind[K],
): Record<string, unknown> {
  return { hostId, key: kindSpec(kind).keyOf(record), ...TABLES[kind].toRow(record) };
}

// A record key computed in SQL from the fields `field` reads (as text), by the same forms as
// recordKey(): e.g. the key of the container a command created, from its params and result.
export function keySql<K extends RecordKind>(
  kind: K,
  field: (name: keyof RecordByKind[K] & string) => Expression<string | null>,
): RawBuilder<string> {
  const forms = kindSpec(kind).key;
  const join = (parts: (typeof forms)[number]['parts']) =>
    sql.join(
      parts.map((p) => (typeof p === 'string' ? sql.lit(p) : sql`COALESCE(${field(p.field)}, '')`)),
      sql` || `,
    );
  const last = forms[forms.length - 1]!;
  if (forms.length === 1) return sql<string>`(${join(last.parts)})`;
  const cases = forms
    .slice(0, -1)
    .map((f) => sql`WHEN ${field(f.when!.field)} = ${sql.lit(f.when!.is)} THEN ${join(f.parts)}`);
  return sql<string>`(CASE ${sql.join(cases, sql` `)} ELSE ${join(last.parts)} END)`;
}
