import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { KYSELY } from './tokens.js';

// Which host an uploaded file is for: that of the command naming it by uploadId.
@Injectable()
export class UploadOwnerRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  // The host of the command naming the upload (any op taking a file); null when none does.
  async hostOf(uploadId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('Command')
      .select('hostId')
      .where(sql<string>`params->>'uploadId'`, '=', uploadId)
      .orderBy('createdAt', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.hostId ?? null;
  }
}
