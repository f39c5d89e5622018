import { KIND_SPECS } from '@corral/protocol';
import { Injectable } from '@nestjs/common';
import type { BridgeDto, ContainerDto, ImageDto, LeaseDto, NetworkDto, VolumeDto } from '../dtos/inventory.dto.js';
import { type Cursor, type Page, toPage } from '../dtos/pagination.dto.js';
import {
  InventoryQueryRepository,
  type ListFilters,
  type RowByResource,
} from '../repositories/inventory-query.repository.js';
import { NotFoundError } from './errors.js';
import { type InventoryRow, toInventoryDto } from './inventory-response.mapper.js';

export interface DtoByResource {
  containers: ContainerDto;
  images: ImageDto;
  volumes: VolumeDto;
  networks: NetworkDto;
  bridges: BridgeDto;
  leases: LeaseDto;
}
export type InventoryResource = keyof DtoByResource;

// What every list endpoint's parsed query looks like: page controls plus that resource's filters.
export type ListQuery = ListFilters & { limit: number; cursor?: Cursor };

// Each list's kind in the registry: its name in messages, and how its rows are answered.
const RESOURCES = Object.fromEntries(
  KIND_SPECS.map((spec) => [
    spec.plural,
    { noun: spec.kind, toDto: (row: InventoryRow) => toInventoryDto(spec.kind, row) },
  ]),
) as unknown as {
  [R in InventoryResource]: { noun: string; toDto: (row: RowByResource[R]) => DtoByResource[R] };
};

@Injectable()
export class InventoryQueryService {
  constructor(private readonly repo: InventoryQueryRepository) {}

  async list<R extends InventoryResource>(resource: R, query: ListQuery): Promise<Page<DtoByResource[R]>> {
    const { limit, cursor, ...filters } = query;
    const rows = await this.repo.list(resource, filters, { limit: limit + 1, after: cursor });
    return toPage(
      rows,
      limit,
      (row) => this.repo.cursorOf(resource, row),
      (row) => RESOURCES[resource].toDto(row),
    );
  }

  async get<R extends InventoryResource>(resource: R, id: string): Promise<DtoByResource[R]> {
    const [row] = await this.repo.list(resource, { id }, { limit: 1 });
    if (!row) throw new NotFoundError(`no ${RESOURCES[resource].noun} with id ${id}`);
    return RESOURCES[resource].toDto(row);
  }
}
