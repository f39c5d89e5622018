import { Injectable, Logger } from '@nestjs/common';
import { ClusterRepository } from '../repositories/cluster.repository.js';
import { REPLICA_STALE_MS, ReplicaService } from './replica.service.js';

// Which replica holds an upload's file or an image transfer's reader, for the agents' GET and PUT
// of /api/v1/uploads/{id} that reach another replica: a `holder:<id>` row in ClusterSetting naming
// the replica, written before any agent is told the id and deleted when it is done with.
@Injectable()
export class ReplicaLocator {
  private readonly logger = new Logger(ReplicaLocator.name);

  constructor(
    private readonly repo: ClusterRepository,
    private readonly replicas: ReplicaService,
  ) {}

  async claim(id: string): Promise<void> {
    await this.repo.claim(id, this.replicas.id);
  }

  // Fire and forget: a row left behind names a replica for an id nobody will ask for again.
  release(id: string): void {
    this.repo.release(id).catch((err: Error) => this.logger.warn(`could not release holder:${id}: ${err.message}`));
  }

  // The live replica other than this one that holds `id`, or null.
  async holderOf(id: string): Promise<{ replicaId: string; url: string } | null> {
    const row = await this.repo.holderOf(id, REPLICA_STALE_MS);
    if (!row || row.id === this.replicas.id || !row.url) return null;
    return { replicaId: row.id, url: row.url };
  }
}
