import { Injectable } from '@nestjs/common';
import type { BridgeDto, ContainerDto, ImageDto, LeaseDto, NetworkDto, VolumeDto } from '../dtos/inventory.dto.js';
import { type Cursor, type Page, toPage } from '../dtos/pagination.dto.js';
import {
  InventoryQueryRepository,
  type ListFilters,
  type RowByResource,
} from '../repositories/inventory-query.repository.js';
import { NotFoundError } from './errors.js';
import {
  toBridgeDto,
  toContainerDto,
  toImageDto,
  toLeaseDto,
  toNetworkDto,
  toVolumeDto,
} from './inventory-response.mapper.js';

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

const RESOURCES: {
  [R in InventoryResource]: { noun: string; toDto: (row: RowByResource[R]) => DtoByResource[R] };
} = {
  containers: { noun: 'container', toDto: toContainerDto },
  images: { noun: 'image', toDto: toImageDto },
  volumes: { noun: 'volume', toDto: toVolumeDto },
  networks: { noun: 'network', toDto: toNetworkDto },
  bridges: { noun: 'bridge', toDto: toBridgeDto },
  leases: { noun: 'lease', toDto: toLeaseDto },
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
