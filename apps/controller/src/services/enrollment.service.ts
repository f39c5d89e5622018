import { Inject, Injectable, Logger } from '@nestjs/common';
import { isUniqueViolation } from '../database/db-errors.js';
import type { CreateEnrollmentToken, EnrollmentTokenDto, EnrollRequest } from '../dtos/auth.dto.js';
import { CLOSE } from '../gateways/close-codes.js';
import type { Clock } from '../repositories/clock.repository.js';
import {
  EnrollmentConflict,
  EnrollmentRepository,
  type EnrollmentTokenRow,
} from '../repositories/enrollment.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { ConnectedHosts } from './connected-hosts.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from './errors.js';
import type { Principal } from './principal.js';
import { hashSecret, newSecret, secretPrefix } from './secrets.js';

export interface Enrolled {
  hostId: string;
  credential: string;
  // The enrollment token that was spent, as the audit log's actor.
  principal: Principal;
}

export function toEnrollmentTokenDto(row: EnrollmentTokenRow): EnrollmentTokenDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    maxUses: row.maxUses,
    uses: row.uses,
    allowTakeover: row.allowTakeover,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

// Enrollment tokens (made by admins) and their exchange for a per-host agent credential.
@Injectable()
export class EnrollmentService {
  private readonly logger = new Logger('Enrollment');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: EnrollmentRepository,
    private readonly connected: ConnectedHosts,
  ) {}

  async createToken(
    input: CreateEnrollmentToken,
    createdBy: string | null,
  ): Promise<EnrollmentTokenDto & { secret: string }> {
    const secret = newSecret('enrollment');
    const row = await this.repo.createToken({
      name: input.name ?? null,
      prefix: secretPrefix(secret),
      secretHash: hashSecret(secret),
      maxUses: input.maxUses,
      allowTakeover: input.allowTakeover,
      createdBy,
      expiresAt: new Date(this.clock.now().getTime() + input.expiresInSeconds * 1000),
    });
    return { ...toEnrollmentTokenDto(row), secret };
  }

  async listTokens(): Promise<{ items: EnrollmentTokenDto[] }> {
    return { items: (await this.repo.listTokens()).map(toEnrollmentTokenDto) };
  }

  async revokeToken(id: string): Promise<EnrollmentTokenDto> {
    await this.repo.revokeToken(id, this.clock.now());
    const row = await this.repo.findToken(id);
    if (!row) throw new NotFoundError(`no enrollment token with id ${id}`);
    return toEnrollmentTokenDto(row);
  }

  async enroll(request: EnrollRequest): Promise<Enrolled> {
    const credential = newSecret('agent');
    const tokenHash = hashSecret(request.token);
    let outcome: Awaited<ReturnType<EnrollmentRepository['enroll']>>;
    try {
      outcome = await this.repo.enroll({
        tokenHash,
        agentId: request.agentId,
        hostname: request.hostname,
        credential: { prefix: secretPrefix(credential), secretHash: hashSecret(credential) },
        now: this.clock.now(),
      });
    } catch (err) {
      if (err instanceof EnrollmentConflict) throw this.conflict(err);
      // Enrollments are serialized per agent id and hostname; should two still collide, say so.
      if (isUniqueViolation(err)) {
        throw new ConflictError('another enrollment with this agent id or hostname finished first; enroll again');
      }
      throw err;
    }
    if (outcome.kind === 'token-refused') throw await this.tokenRefusal(tokenHash);
    if (outcome.tookOver) {
      // The replaced agent's credential is revoked; its live connection goes with it.
      this.connected.closeHost(outcome.hostId, CLOSE.revoked, 'host taken over by a newly enrolled agent');
      this.logger.warn(`host ${outcome.hostId} (${request.hostname}) taken over by agent ${request.agentId}`);
    }
    this.logger.log(`agent ${request.agentId} enrolled as ${request.hostname} (host ${outcome.hostId})`);
    return {
      hostId: outcome.hostId,
      credential,
      principal: { kind: 'enrollment', ...outcome.token },
    };
  }

  // Why a token could not be spent; an unknown one says nothing more than that.
  private async tokenRefusal(tokenHash: string): Promise<Error> {
    const row = await this.repo.findTokenByHash(tokenHash);
    if (!row) return new UnauthorizedError('invalid enrollment token');
    const label = `enrollment token ${row.prefix}…`;
    if (row.revokedAt) return new ForbiddenError(`${label} was revoked; ask an admin for a new one`);
    if (row.expiresAt <= this.clock.now()) return new ForbiddenError(`${label} expired; ask an admin for a new one`);
    return new ForbiddenError(
      `${label} was already used ${row.uses} of ${row.maxUses} times; ask an admin for a new one`,
    );
  }

  private conflict(err: EnrollmentConflict): Error {
    if (err.by === 'agentId') {
      return new ConflictError(
        `agent id already enrolled as host ${err.hostname} (${err.hostId}); revoke that host first ` +
          '(POST /api/v1/hosts/{id}/revoke) or enroll with a token created with allowTakeover: true',
      );
    }
    if (err.count > 1) {
      return new ConflictError(
        `several hosts are named ${err.hostname}; remove the extra ones (DELETE /api/v1/hosts/{id}) before taking the name over`,
      );
    }
    return new ConflictError(
      `a host named ${err.hostname} (${err.hostId}) is already enrolled by another agent; taking it over needs an ` +
        'enrollment token created with allowTakeover: true, or remove that host first',
    );
  }
}
