import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

@Injectable()
export class HostRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // `seenBefore` leaves alone hosts online and seen since then (heartbeats keep them fresh), so a
  // sweep over a large fleet rewrites only the rows that need it. Rows are locked in id order, as
  // the ingest batches and heartbeats lock them, so a sweep over thousands of hosts cannot deadlock
  // with them.
  async touch(hostIds: string[], now: Date, seenBefore?: Date): Promise<void> {
    if (hostIds.length === 0) return;
    await this.prisma.$executeRaw`
      WITH l AS MATERIALIZED (
        SELECT id FROM "Host" WHERE id = ANY(${hostIds}::uuid[])
          AND (${seenBefore ?? null}::timestamptz IS NULL OR status <> 'online' OR "lastSeenAt" IS NULL
               OR "lastSeenAt" < ${seenBefore ?? null}::timestamptz)
        ORDER BY id FOR UPDATE)
      UPDATE "Host" h SET "lastSeenAt" = ${now}, status = 'online', "offlineAt" = NULL, "updatedAt" = ${now}
      FROM l WHERE h.id = l.id`;
  }

  // Online hosts not heard from since `seenBefore` go offline; their inventory stays, marked stale.
  // One statement with the connected hosts as one array parameter (at 10,000 connected hosts a
  // find-then-update with an id list spelled out cost the controller a burst of CPU every sweep).
  async markOffline(seenBefore: Date, exceptIds: string[], now: Date): Promise<{ id: string; hostname: string }[]> {
    // Rows locked in id order, as the heartbeat batches and the ingest lock them.
    return this.prisma.$queryRaw<{ id: string; hostname: string }[]>`
      WITH l AS MATERIALIZED (
        SELECT id FROM "Host"
        WHERE status = 'online' AND "lastSeenAt" < ${seenBefore} AND NOT (id = ANY(${exceptIds}::uuid[]))
        ORDER BY id FOR UPDATE)
      UPDATE "Host" h SET status = 'offline', "offlineAt" = ${now}
      FROM l WHERE h.id = l.id AND h.status = 'online'
      RETURNING h.id::text AS id, h.hostname`;
  }
}
