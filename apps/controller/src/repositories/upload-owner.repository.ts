import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

// Which host an uploaded file is for: that of the command naming it by uploadId.
@Injectable()
export class UploadOwnerRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // The host of the command naming the upload (image.import, or any op taking a file); null when none does.
  async hostOf(uploadId: string): Promise<string | null> {
    const rows = await this.prisma.$queryRaw<{ hostId: string }[]>`
      SELECT "hostId"::text AS "hostId" FROM "Command"
      WHERE params->>'uploadId' = ${uploadId}
      ORDER BY "createdAt" DESC LIMIT 1`;
    return rows[0]?.hostId ?? null;
  }
}
