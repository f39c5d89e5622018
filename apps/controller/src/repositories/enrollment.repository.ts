import { Inject, Injectable } from '@nestjs/common';
import type { EnrollmentToken, PrismaClient } from '../generated/prisma/client.js';
import { lockEnrollment, takeEnrolledName } from './enrollment-lock.js';
import { PRISMA } from './tokens.js';

export type EnrollmentTokenRow = EnrollmentToken;

export interface NewEnrollmentToken {
  name: string | null;
  prefix: string;
  secretHash: string;
  maxUses: number;
  allowTakeover: boolean;
  createdBy: string | null;
  expiresAt: Date;
}

export interface EnrollInput {
  tokenHash: string;
  agentId: string;
  hostname: string;
  credential: { prefix: string; secretHash: string };
  now: Date;
}

export type EnrollOutcome =
  | { kind: 'token-refused' }
  | {
      kind: 'enrolled';
      hostId: string;
      // The host already had an agent (with a live credential or another agent id) and was taken over.
      tookOver: boolean;
      token: { id: string; name: string | null; prefix: string };
    };

// Enrollment would take over a host: `by` says what the new agent has in common with it.
export class EnrollmentConflict extends Error {
  constructor(
    readonly by: 'agentId' | 'hostname',
    readonly hostId: string,
    readonly hostname: string,
    readonly count = 1,
  ) {
    super(`enrollment conflicts with host ${hostId} by ${by}`);
  }
}

// Rolls the enrollment transaction back when the token has no use left.
class TokenRefused extends Error {}

@Injectable()
export class EnrollmentRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  createToken(token: NewEnrollmentToken): Promise<EnrollmentTokenRow> {
    return this.prisma.enrollmentToken.create({ data: token });
  }

  listTokens(): Promise<EnrollmentTokenRow[]> {
    return this.prisma.enrollmentToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  }

  findToken(id: string): Promise<EnrollmentTokenRow | null> {
    return this.prisma.enrollmentToken.findUnique({ where: { id } });
  }

  findTokenByHash(secretHash: string): Promise<EnrollmentTokenRow | null> {
    return this.prisma.enrollmentToken.findUnique({ where: { secretHash } });
  }

  async revokeToken(id: string, now: Date): Promise<void> {
    await this.prisma.enrollmentToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  }

  // One transaction: find or create the host, store the new credential, and spend a use of the
  // token last (atomically, never past maxUses), so the token row is locked only for the commit
  // and many agents can enroll with one token at once. A conflict throws EnrollmentConflict, a
  // token that cannot be spent returns token-refused; either way nothing is kept.
  async enroll(input: EnrollInput): Promise<EnrollOutcome> {
    const token = await this.prisma.enrollmentToken.findUnique({
      where: { secretHash: input.tokenHash },
      select: { id: true, name: true, prefix: true, allowTakeover: true },
    });
    if (!token) return { kind: 'token-refused' };
    try {
      return await this.prisma.$transaction(
        async (tx) => {
          await lockEnrollment(tx, input);
          let hostId: string;
          let tookOver = false;
          const sameAgent = await tx.host.findUnique({
            where: { agentId: input.agentId },
            select: { id: true, hostname: true, _count: { select: { credentials: { where: { revokedAt: null } } } } },
          });
          if (sameAgent) {
            // The same agent id without a live credential (enrolled before, then revoked) enrolls again.
            if (sameAgent._count.credentials > 0) {
              if (!token.allowTakeover) throw new EnrollmentConflict('agentId', sameAgent.id, sameAgent.hostname);
              tookOver = true;
            }
            hostId = sameAgent.id;
            await takeEnrolledName(tx, sameAgent, input.hostname);
          } else {
            const sameName = await tx.host.findMany({
              where: { hostname: { equals: input.hostname, mode: 'insensitive' } },
              select: { id: true, hostname: true },
              take: 2,
            });
            const other = sameName[0];
            if (other) {
              if (!token.allowTakeover || sameName.length > 1) {
                throw new EnrollmentConflict('hostname', other.id, other.hostname, sameName.length);
              }
              await tx.host.update({ where: { id: other.id }, data: { agentId: input.agentId } });
              hostId = other.id;
              tookOver = true;
            } else {
              const created = await tx.host.create({
                data: { agentId: input.agentId, hostname: input.hostname },
                select: { id: true },
              });
              hostId = created.id;
            }
          }
          if (tookOver) {
            // A new agent starts a new sequence: its first snapshot replaces what the old one reported.
            await tx.agentCredential.updateMany({ where: { hostId, revokedAt: null }, data: { revokedAt: input.now } });
            await tx.host.update({ where: { id: hostId }, data: { lastSeq: 0 } });
          }
          await tx.agentCredential.create({ data: { hostId, ...input.credential, enrollmentTokenId: token.id } });
          const spent = await tx.$queryRaw<{ id: string }[]>`
            UPDATE "EnrollmentToken" SET uses = uses + 1
            WHERE id = ${token.id}::uuid AND uses < "maxUses" AND "revokedAt" IS NULL AND "expiresAt" > ${input.now}
            RETURNING id`;
          if (spent.length === 0) throw new TokenRefused();
          return {
            kind: 'enrolled',
            hostId,
            tookOver,
            token: { id: token.id, name: token.name, prefix: token.prefix },
          };
        },
        { maxWait: 10_000, timeout: 20_000 },
      );
    } catch (err) {
      if (err instanceof TokenRefused) return { kind: 'token-refused' };
      throw err;
    }
  }

  async revokeHostCredentials(hostId: string, now: Date): Promise<number> {
    const { count } = await this.prisma.agentCredential.updateMany({
      where: { hostId, revokedAt: null },
      data: { revokedAt: now },
    });
    return count;
  }

  findHost(hostId: string): Promise<{ id: string; hostname: string } | null> {
    return this.prisma.host.findUnique({ where: { id: hostId }, select: { id: true, hostname: true } });
  }

  async deleteHost(hostId: string): Promise<void> {
    await this.prisma.host.deleteMany({ where: { id: hostId } });
  }
}
