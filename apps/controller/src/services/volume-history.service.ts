import { Injectable } from '@nestjs/common';
import type { VolumeDetail } from '../dtos/inventory.dto.js';
import { VolumeUseRepository } from '../repositories/volume-use.repository.js';
import { InventoryQueryService } from './inventory-query.service.js';

// One volume with the volume guard's history of it: which image families mounted it, and when.
@Injectable()
export class VolumeHistoryService {
  constructor(
    private readonly inventory: InventoryQueryService,
    private readonly uses: VolumeUseRepository,
  ) {}

  async get(id: string): Promise<VolumeDetail> {
    const volume = await this.inventory.get('volumes', id);
    const uses = await this.uses.ofVolumes(volume.hostId, [volume.name]);
    return {
      ...volume,
      history: uses.map((u) => ({
        family: u.family,
        repository: u.repository,
        imageId: u.imageId,
        containers: u.containers,
        firstSeenAt: u.firstSeenAt.toISOString(),
        lastUsedAt: u.lastUsedAt.toISOString(),
      })),
    };
  }
}
