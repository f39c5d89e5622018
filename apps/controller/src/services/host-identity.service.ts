import { errorFrame, type Hello } from '@corral/protocol';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AgentSession } from '../gateways/agent-session.js';
import { CLOSE } from '../gateways/close-codes.js';
import type { Clock } from '../repositories/clock.repository.js';
import { HostIdentityRepository } from '../repositories/host-identity.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { AuditService } from './audit.service.js';
import { ConflictError, NotFoundError } from './errors.js';

// A host's identity is fixed at enrollment: its agent cannot take another host's name by saying it.
@Injectable()
export class HostIdentityService {
  private readonly logger = new Logger('HostIdentity');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: HostIdentityRepository,
    private readonly audit: AuditService,
  ) {}

  // A hello naming another hostname than the host's: an error frame naming the field, an audit
  // entry, and the connection closed. The host keeps its name and the agent retries with backoff.
  async refuseHello(session: AgentSession, hello: Hello, host: { hostId: string; hostname: string }): Promise<void> {
    const message =
      `this host is enrolled as ${host.hostname}, not ${hello.hostname}: set CORRAL_HOSTNAME=${host.hostname}, ` +
      'or ask an admin to rename the host (PUT /api/v1/hosts/{id}/hostname)';
    this.logger.warn(
      `hello from ${session.remoteAddress} with the credential of ${host.hostname} (${host.hostId}) says hostname ${hello.hostname}; closing`,
    );
    session.send(errorFrame('hostname_mismatch', message, { field: 'hostname', inReplyTo: 'hello' }));
    session.close(CLOSE.hostnameMismatch, 'hostname differs from the enrolled one');
    await this.audit.record({
      principal: { kind: 'agent', ...session.auth },
      action: 'HELLO /agent',
      targetKind: 'host',
      targetId: host.hostId,
      outcome: 'denied',
      detail: { field: 'hostname', enrolledHostname: host.hostname, helloHostname: hello.hostname.slice(0, 255) },
      remoteAddr: session.remoteAddress,
    });
  }

  async rename(hostId: string, hostname: string) {
    const outcome = await this.repo.rename(hostId, hostname, this.clock.now());
    if (outcome.result === 'not-found') throw new NotFoundError(`no host with id ${hostId}`);
    if (outcome.result === 'taken') {
      throw new ConflictError(`host ${outcome.hostId} is already named ${outcome.hostname}; rename or remove it first`);
    }
    this.logger.log(`host ${hostId} renamed from ${outcome.previousHostname} to ${hostname}`);
    return { hostId, hostname, previousHostname: outcome.previousHostname };
  }
}
