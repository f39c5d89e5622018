import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { KYSELY } from './tokens.js';

export interface CommandOutputLimit {
  op: string;
  // params.maxOutputBytes as stored (defaults applied), when the op has one.
  maxOutputBytes: number | null;
}

// What the controller keeps of an agent's answers is bounded by the command's own limits.
@Injectable()
export class CommandLimitsRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  // Null when the command is not this host's (its result is ignored anyway).
  async outputLimit(id: string, hostId: string): Promise<CommandOutputLimit | null> {
    const row = await this.db
      .selectFrom('Command')
      .select(['op', sql<unknown>`params->'maxOutputBytes'`.as('maxOutputBytes')])
      .where('id', '=', id)
      .where('hostId', '=', hostId)
      .executeTakeFirst();
    if (!row) return null;
    const max = Number(row.maxOutputBytes);
    return { op: row.op, maxOutputBytes: Number.isInteger(max) && max > 0 ? max : null };
  }
}
