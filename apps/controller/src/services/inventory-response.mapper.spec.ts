import { KINDS, type RecordKind, sampleDockerContainer, sampleLease } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { ContainerSchema, LeaseSchema } from '../dtos/inventory.dto.js';
import { PG_TYPES } from '../repositories/inventory-tables.js';
import { storedValue } from '../repositories/pg-encoding.js';
import { type InventoryRow, toInventoryDto } from './inventory-response.mapper.js';

// A row as the list query reads it back: every column of the record, stored.
function storedRow(kind: RecordKind, record: unknown, hostStatus: 'online' | 'offline'): InventoryRow {
  const row: InventoryRow = {
    id: '00000000-0000-4000-8000-000000000001',
    hostId: '00000000-0000-4000-8000-000000000002',
    observedAt: new Date('2026-12-01T00:00:00.000Z'),
    hostHostname: 'h1',
    hostStatus,
  };
  for (const c of KINDS[kind].columns) row[c.name] = storedValue(PG_TYPES[c.type], c.value(record));
  return row;
}

describe('inventory answers from the kind registry', () => {
  it('answers a container with its engine id, times as ISO text and bigints as numbers', () => {
    const record = { ...sampleDockerContainer, memoryBytes: 1_060_864 };
    const sut = toInventoryDto('container', storedRow('container', record, 'online'));
    expect(ContainerSchema.strict().parse(sut)).toEqual(sut);
    expect(sut).toMatchObject({
      hostname: 'h1',
      engineId: record.id,
      createdAt: record.createdAt,
      memoryBytes: 1_060_864,
      stale: false,
      observedAt: '2026-12-01T00:00:00.000Z',
    });
    expect(sut).not.toHaveProperty('labelText');
    expect(sut).not.toHaveProperty('macs');
  });

  it('answers a lease with the client hostname under its answer name, stale when the host is offline', () => {
    const sut = toInventoryDto('lease', storedRow('lease', sampleLease, 'offline'));
    expect(LeaseSchema.strict().parse(sut)).toEqual(sut);
    expect(sut).toMatchObject({ clientHostname: sampleLease.hostname, stale: true });
    expect(sut).not.toHaveProperty('hostname', sampleLease.hostname);
  });
});
