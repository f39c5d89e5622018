import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AgentAuth } from '../gateways/agent-session.js';
import { CLOSE } from '../gateways/close-codes.js';
import type { Clock } from '../repositories/clock.repository.js';
import { EnrollmentRepository } from '../repositories/enrollment.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { ConnectedHosts } from './connected-hosts.js';
import { NotFoundError } from './errors.js';
import { hashSecret } from './secrets.js';

// Agent credentials in use: checking one on connect, and cutting a host off.
@Injectable()
export class HostAccessService {
  private readonly logger = new Logger('HostAccess');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: EnrollmentRepository,
    private readonly connected: ConnectedHosts,
  ) {}

  // The host a credential belongs to, or null for an unknown or revoked one.
  async authenticate(secret: string): Promise<AgentAuth | null> {
    const row = await this.repo.findCredential(hashSecret(secret));
    if (!row || row.revokedAt) return null;
    this.repo
      .touchCredential(row.id, this.clock.now())
      .catch((err: Error) => this.logger.warn(`could not record credential use: ${err.message}`));
    return { hostId: row.hostId, hostname: row.hostname, credentialId: row.id };
  }

  // Still valid at hello time (it may have been revoked between the upgrade and the hello).
  stillValid(credentialId: string): Promise<{ hostId: string; agentId: string; hostname: string } | null> {
    return this.repo.credentialHost(credentialId);
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
  }
}
