import { Inject, Injectable } from '@nestjs/common';
import type { ApiToken, PrismaClient } from '../generated/prisma/client.js';
import type { Role } from '../generated/prisma/enums.js';
import { PRISMA } from './tokens.js';

export type ApiTokenRow = ApiToken;

export interface NewApiToken {
  name: string;
  role: Role;
  prefix: string;
  secretHash: string;
  createdBy: string | null;
  expiresAt: Date | null;
}

// Marks the token that mirrors CORRAL_ADMIN_TOKEN, so a changed variable replaces it.
export const ENV_ADMIN_CREATOR = 'CORRAL_ADMIN_TOKEN';
// Serialises the first-start admin token between controllers sharing a database.
const BOOTSTRAP_LOCK = 72707370;

@Injectable()
export class ApiTokenRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(token: NewApiToken): Promise<ApiTokenRow> {
    return this.prisma.apiToken.create({ data: token });
  }

  findByHash(secretHash: string): Promise<ApiTokenRow | null> {
    return this.prisma.apiToken.findUnique({ where: { secretHash } });
  }

  list(): Promise<ApiTokenRow[]> {
    return this.prisma.apiToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  }

  findById(id: string): Promise<ApiTokenRow | null> {
    return this.prisma.apiToken.findUnique({ where: { id } });
  }

  async revoke(id: string, now: Date): Promise<void> {
    await this.prisma.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  }

  async touch(id: string, now: Date): Promise<void> {
    await this.prisma.apiToken.updateMany({ where: { id }, data: { lastUsedAt: now } });
  }

  // Makes the CORRAL_ADMIN_TOKEN row match the variable: kept when unchanged, replaced when changed.
  async syncEnvAdmin(token: Omit<NewApiToken, 'createdBy' | 'expiresAt' | 'role'>, now: Date): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
      await tx.apiToken.updateMany({
        where: { createdBy: ENV_ADMIN_CREATOR, revokedAt: null, secretHash: { not: token.secretHash } },
        data: { revokedAt: now },
      });
      const existing = await tx.apiToken.findUnique({ where: { secretHash: token.secretHash } });
      if (existing) {
        await tx.apiToken.update({
          where: { id: existing.id },
          data: { revokedAt: null, expiresAt: null, role: 'admin', createdBy: ENV_ADMIN_CREATOR },
        });
        return;
      }
      await tx.apiToken.create({ data: { ...token, role: 'admin', createdBy: ENV_ADMIN_CREATOR, expiresAt: null } });
    });
  }

  // Creates the admin token when no usable one exists; false when one does (then nothing is made).
  async createAdminIfNone(token: NewApiToken, now: Date): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`;
      const usable = await tx.apiToken.count({
        where: { role: 'admin', revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      });
      if (usable > 0) return false;
      await tx.apiToken.create({ data: token });
      return true;
    });
  }
}
