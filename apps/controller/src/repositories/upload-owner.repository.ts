import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

// Which host's import an uploaded tarball is for.
@Injectable()
export class UploadOwnerRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // The host of the image.import command naming the upload; null when no command does.
  async hostOf(uploadId: string): Promise<string | null> {
    const rows = await this.prisma.$queryRaw<{ hostId: string }[]>`
      SELECT "hostId"::text AS "hostId" FROM "Command"
      WHERE op = 'image.import' AND params->>'uploadId' = ${uploadId}
      ORDER BY "createdAt" DESC LIMIT 1`;
    return rows[0]?.hostId ?? null;
  }
}
