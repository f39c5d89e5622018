import { Inject, Injectable, Logger } from '@nestjs/common';
import type { HostDto } from '../dtos/host.dto.js';
import type { DrainDto } from '../dtos/host-scheduling.dto.js';
import type { Clock } from '../repositories/clock.repository.js';
import { SchedulingRepository } from '../repositories/scheduling.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { NotFoundError } from './errors.js';
import { HostQueryService } from './host-query.service.js';
import { SchedulerIndexService } from './scheduler-index.service.js';

// What an operator sets on a host for scheduling: labels, cordon, drain.
@Injectable()
export class HostSchedulingService {
  private readonly logger = new Logger(HostSchedulingService.name);

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: SchedulingRepository,
    private readonly hosts: HostQueryService,
    private readonly scheduler: SchedulerIndexService,
  ) {}

  async setLabels(hostId: string, labels: Record<string, string>): Promise<HostDto> {
    if (!(await this.repo.setLabels(hostId, labels))) throw new NotFoundError(`no host with id ${hostId}`);
    this.scheduler.hostChanged(hostId);
    return this.hosts.get(hostId);
  }

  async cordon(hostId: string, reason: string | null): Promise<HostDto> {
    if (!(await this.repo.setCordon(hostId, { reason, at: this.clock.now() }))) {
      throw new NotFoundError(`no host with id ${hostId}`);
    }
    this.scheduler.hostChanged(hostId);
    this.logger.log(`host ${hostId} cordoned${reason ? `: ${reason}` : ''}`);
    return this.hosts.get(hostId);
  }

  async uncordon(hostId: string): Promise<HostDto> {
    if (!(await this.repo.setCordon(hostId, null))) throw new NotFoundError(`no host with id ${hostId}`);
    this.scheduler.hostChanged(hostId);
    this.logger.log(`host ${hostId} uncordoned`);
    return this.hosts.get(hostId);
  }

  // Cordons the host and lists what would have to move off it; moving is left to the operator.
  async drain(hostId: string, reason: string | null): Promise<DrainDto> {
    const host = await this.cordon(hostId, reason ?? 'draining');
    const rows = await this.repo.hostContainers(hostId);
    return {
      host,
      containers: rows.map((r) => ({ ...r, runtime: r.runtime as 'docker' | 'lxc' })),
    };
  }
}
