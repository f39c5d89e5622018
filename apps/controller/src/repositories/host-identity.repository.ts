import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { lockEnrollment } from './enrollment-lock.js';
import { PRISMA } from './tokens.js';

export type RenameOutcome =
  | { result: 'renamed'; previousHostname: string }
  | { result: 'not-found' }
  | { result: 'taken'; hostId: string; hostname: string };

// A host's name: set at enrollment, changed only here (admin) or by a takeover enrollment.
@Injectable()
export class HostIdentityRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // Under the enrollment lock of the new name, so a rename and an enrollment never both take it.
  rename(hostId: string, hostname: string): Promise<RenameOutcome> {
    return this.prisma.$transaction(async (tx): Promise<RenameOutcome> => {
      await lockEnrollment(tx, { hostname });
      const host = await tx.host.findUnique({ where: { id: hostId }, select: { hostname: true } });
      if (!host) return { result: 'not-found' };
      const other = await tx.host.findFirst({
        where: { id: { not: hostId }, hostname: { equals: hostname, mode: 'insensitive' } },
        select: { id: true, hostname: true },
      });
      if (other) return { result: 'taken', hostId: other.id, hostname: other.hostname };
      await tx.host.update({ where: { id: hostId }, data: { hostname } });
      return { result: 'renamed', previousHostname: host.hostname };
    });
  }
}
