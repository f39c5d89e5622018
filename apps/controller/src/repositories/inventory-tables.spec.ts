import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ColumnType, KIND_SPECS, type KindSpec, sampleDockerContainer } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { type Datamodel, loadDatamodel, schemaPath } from '../../../../scripts/lib/prisma-dmmf.mjs';
import { coldKysely } from '../database/kysely.fixture.js';
import { keySql, rowFor, TABLES } from './inventory-tables.js';

// Columns every inventory table has that no record fills.
const MANAGED: Record<string, string> = {
  id: 'String uuid',
  hostId: 'String uuid',
  key: 'String',
  observedAt: 'DateTime',
};

// The registry's storage type of a schema.prisma field, or why it has none.
function columnTypeOf(field: Datamodel['models'][number]['fields'][number]): ColumnType | string {
  const native = field.nativeType?.[0] ?? null;
  if (field.type === 'String' && native === null) return field.isList ? 'string[]' : 'string';
  if (field.isList) return `${field.type}[] (no such registry type)`;
  if (field.type === 'Json') return 'json';
  if (field.type === 'DateTime' && native === 'Timestamptz') return 'timestamp';
  if (field.type === 'BigInt') return 'int64';
  if (field.type === 'Int') return 'int32';
  if (field.type === 'Boolean') return 'boolean';
  return `${field.type}${native ? ` @db.${native}` : ''} (no such registry type)`;
}

// Every way schema.prisma and the kind registry disagree, one line each.
function disagreements(datamodel: Datamodel, kinds: readonly KindSpec[] = KIND_SPECS): string[] {
  const found: string[] = [];
  for (const spec of kinds) {
    const model = datamodel.models.find((m) => (m.dbName ?? m.name) === spec.table);
    if (!model) {
      found.push(`${spec.kind}: no model ${spec.table} in schema.prisma`);
      continue;
    }
    const fields = new Map(model.fields.filter((f) => f.kind !== 'object').map((f) => [f.dbName ?? f.name, f]));
    for (const [name, type] of Object.entries(MANAGED)) {
      const f = fields.get(name);
      const actual = f ? `${f.type}${f.nativeType?.[0] === 'Uuid' ? ' uuid' : ''}` : 'missing';
      if (actual !== type) found.push(`${spec.table}.${name}: ${actual}, expected ${type}`);
    }
    for (const column of spec.columns) {
      const f = fields.get(column.name);
      if (!f) {
        found.push(`${spec.table}.${column.name}: in the registry, missing from schema.prisma`);
        continue;
      }
      const type = columnTypeOf(f);
      if (type !== column.type)
        found.push(`${spec.table}.${column.name}: schema.prisma ${type}, registry ${column.type}`);
      if (f.isRequired === column.nullable) {
        found.push(
          `${spec.table}.${column.name}: schema.prisma ${f.isRequired ? 'required' : 'optional'}, registry ${column.nullable ? 'nullable' : 'not null'}`,
        );
      }
    }
    const known = new Set([...Object.keys(MANAGED), ...spec.columns.map((c) => c.name)]);
    for (const name of fields.keys()) {
      if (!known.has(name)) found.push(`${spec.table}.${name}: in schema.prisma, missing from the registry`);
    }
  }
  return found;
}

async function datamodelOf(edit: (schema: string) => string): Promise<Datamodel> {
  const schema = await readFile(schemaPath, 'utf8');
  const changed = edit(schema);
  expect(changed).not.toBe(schema);
  const file = path.join(os.tmpdir(), `corral-kinds-${process.pid}-${Date.now()}.prisma`);
  await writeFile(file, changed);
  try {
    return await loadDatamodel(file);
  } finally {
    await rm(file, { force: true });
  }
}

describe('kind registry against prisma/schema.prisma', () => {
  it('agrees on every inventory table: columns, types and nullability', async () => {
    expect(disagreements(await loadDatamodel())).toEqual([]);
  });

  it('notices a column added to schema.prisma only', async () => {
    const dm = await datamodelOf((s) => s.replace(/^(\s+mountpoint\s+String\?)$/m, '$1\n  rack String?'));
    expect(disagreements(dm)).toEqual(['Volume.rack: in schema.prisma, missing from the registry']);
  });

  it('notices a column the registry has and schema.prisma lacks', async () => {
    const dm = await datamodelOf((s) => s.replace(/^\s+clientId\s+String\?\n/m, ''));
    expect(disagreements(dm)).toEqual(['Lease.clientId: in the registry, missing from schema.prisma']);
  });

  it('notices a type or nullability that differs', async () => {
    const dm = await datamodelOf((s) =>
      s.replace(/^(\s+mtu\s+)Int$/m, '$1BigInt').replace(/^(\s+driver\s+String)\n(\s+mountpoint)/m, '$1?\n$2'),
    );
    expect(disagreements(dm)).toEqual([
      'Volume.driver: schema.prisma optional, registry not null',
      'Bridge.mtu: schema.prisma int64, registry int32',
    ]);
  });
});

describe('inventory tables derived from the registry', () => {
  it('makes rows with the host, the record key and every column', () => {
    const row = rowFor('container', 'h1', sampleDockerContainer);
    expect(Object.keys(row)).toEqual(['hostId', 'key', ...Object.keys(TABLES.container.columns)]);
    expect(row).toMatchObject({
      hostId: 'h1',
      key: `docker:${sampleDockerContainer.id}`,
      engineId: sampleDockerContainer.id,
    });
    expect(TABLES.lease.columns.expiresAt).toBe('timestamptz');
  });

  it('computes the record key in SQL by the same forms as recordKey()', () => {
    const db = coldKysely();
    const key = keySql('container', (f) => (f === 'runtime' ? db.dynamic.ref('c.runtime') : db.dynamic.ref(`c.${f}`)));
    expect(key.compile(db).sql).toMatchInlineSnapshot(
      `"(CASE WHEN "c"."runtime" = 'docker' THEN 'docker:' || COALESCE("c"."id", '') ELSE 'lxc:' || COALESCE("c"."lxcPath", '') || '/' || COALESCE("c"."name", '') END)"`,
    );
    expect(keySql('lease', (f) => db.dynamic.ref(`l.${f}`)).compile(db).sql).toMatchInlineSnapshot(
      `"(COALESCE("l"."source", '') || '#' || COALESCE("l"."ip", ''))"`,
    );
  });
});
