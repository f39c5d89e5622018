import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

export interface CommandOutputLimit {
  op: string;
  // params.maxOutputBytes as stored (defaults applied), when the op has one.
  maxOutputBytes: number | null;
}

// What the controller keeps of an agent's answers is bounded by the command's own limits.
@Injectable()
export class CommandLimitsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // Null when the command is not this host's (its result is ignored anyway).
  async outputLimit(id: string, hostId: string): Promise<CommandOutputLimit | null> {
    const rows = await this.prisma.$queryRaw<{ op: string; maxOutputBytes: unknown }[]>`
      SELECT op, params->'maxOutputBytes' AS "maxOutputBytes" FROM "Command"
      WHERE id = ${id}::uuid AND "hostId" = ${hostId}::uuid`;
    const row = rows[0];
    if (!row) return null;
    const max = Number(row.maxOutputBytes);
    return { op: row.op, maxOutputBytes: Number.isInteger(max) && max > 0 ? max : null };
  }
}
