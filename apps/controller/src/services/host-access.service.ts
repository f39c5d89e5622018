import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AgentAuth } from '../gateways/agent-session.js';
import { CLOSE } from '../gateways/close-codes.js';
import { AgentConnectRepository, type CredentialOwner } from '../repositories/agent-connect.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import { EnrollmentRepository } from '../repositories/enrollment.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { Batcher } from './batcher.js';
import { ConnectedHosts } from './connected-hosts.js';
import { NotFoundError } from './errors.js';
import { SchedulerIndexService } from './scheduler-index.service.js';
import { hashSecret } from './secrets.js';

// Agent credentials in use: checking one on connect, and cutting a host off.
@Injectable()
export class HostAccessService {
  private readonly logger = new Logger('HostAccess');
  // Upgrades arriving together (a fleet reconnecting) are checked in one statement.
  private readonly credentials: Batcher<string, CredentialOwner | null>;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: EnrollmentRepository,
    private readonly connectRepo: AgentConnectRepository,
    private readonly connected: ConnectedHosts,
    private readonly scheduler: SchedulerIndexService,
  ) {
    this.credentials = new Batcher(
      async (hashes) => {
        const owners = await this.connectRepo.useCredentials(hashes, this.clock.now());
        return hashes.map((h) => owners.get(h) ?? null);
      },
      { maxBatch: 500, concurrency: 2 },
    );
  }

  // The host a credential belongs to, or null for an unknown or revoked one; marks it used.
  async authenticate(secret: string): Promise<AgentAuth | null> {
    return this.credentials.submit(hashSecret(secret));
  }

  // Revokes every credential of the host and closes its connections at once.
  async revoke(hostId: string): Promise<{ hostId: string; revokedCredentials: number; disconnected: number }> {
    const host = await this.repo.findHost(hostId);
    if (!host) throw new NotFoundError(`no host with id ${hostId}`);
    const revokedCredentials = await this.repo.revokeHostCredentials(hostId, this.clock.now());
    const disconnected = this.connected.closeHost(hostId, CLOSE.revoked, 'credential revoked');
    this.logger.warn(`host ${host.hostname} (${hostId}): credentials revoked, ${disconnected} connection(s) closed`);
    return { hostId, revokedCredentials, disconnected };
  }

  // Revokes, disconnects, then deletes the host with its inventory and commands.
  async remove(hostId: string): Promise<void> {
    await this.revoke(hostId);
    await this.repo.deleteHost(hostId);
    this.scheduler.hostChanged(hostId);
  }
}
