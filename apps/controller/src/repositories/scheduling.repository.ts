import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

export interface DrainContainerRow {
  id: string;
  name: string;
  runtime: string;
  state: string;
  group: string | null;
  placementId: string | null;
}

export interface HostCapacityRow {
  id: string;
  hostname: string;
  status: 'online' | 'offline';
  cordoned: boolean;
  cordonReason: string | null;
  runtimes: Prisma.JsonValue;
  labels: Prisma.JsonValue;
  agentLabels: Prisma.JsonValue;
  memoryBytes: number | null;
  cpus: number | null;
  memoryUsedBytes: number;
  cpusUsed: number;
  containers: number;
}

export interface GroupCountRow {
  group: string;
  hostId: string;
  n: number;
}

// The container a succeeded container.create made, as its inventory key (see recordKey).
const CREATED_KEY = Prisma.sql`(CASE c.params->>'runtime'
  WHEN 'docker' THEN 'docker:' || (c.result->>'id')
  ELSE 'lxc:' || (c.result->>'lxcPath') || '/' || (c.result->>'name') END)`;

const OPEN = Prisma.sql`('pending', 'sent', 'running')`;

@Injectable()
export class SchedulingRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // Every host (or those of `hostIds`) with what it can hold and what is counted on it. Used
  // resources are the limits of containers Corral created that still exist (the newest create per
  // container) plus those of container.create commands still open.
  async hostCapacities(hostIds: readonly string[] | null): Promise<HostCapacityRow[]> {
    const only = (column: Prisma.Sql) =>
      hostIds === null ? Prisma.empty : Prisma.sql`AND ${column} = ANY(${hostIds as string[]}::uuid[])`;
    const hosts = await this.prisma.$queryRaw<Omit<HostCapacityRow, 'memoryUsedBytes' | 'cpusUsed' | 'containers'>[]>`
      SELECT id::text AS id, hostname, status::text AS status, cordoned, "cordonReason", runtimes, labels, "agentLabels",
             (facts->>'memoryTotalBytes')::float8 AS "memoryBytes", (facts->>'cpuCount')::float8 AS cpus
      FROM "Host" WHERE true ${only(Prisma.sql`id`)} ORDER BY hostname, id`;
    const used = await this.prisma.$queryRaw<{ hostId: string; memory: number; cpus: number; open: number }[]>`
      WITH live AS (
        SELECT DISTINCT ON (c."hostId", k.key) c."hostId", c.params
        FROM "Command" c JOIN "Container" k ON k."hostId" = c."hostId" AND k.key = ${CREATED_KEY}
        WHERE c.op = 'container.create' AND c.status = 'succeeded' ${only(Prisma.sql`c."hostId"`)}
        ORDER BY c."hostId", k.key, c."createdAt" DESC
      ), opening AS (
        SELECT c."hostId", c.params FROM "Command" c
        WHERE c.status IN ${OPEN} AND c.op = 'container.create' ${only(Prisma.sql`c."hostId"`)}
      )
      SELECT "hostId"::text AS "hostId",
             sum(COALESCE((params->>'memoryBytes')::float8, 0))::float8 AS memory,
             sum(COALESCE((params->>'cpus')::float8, 0))::float8 AS cpus,
             count(*) FILTER (WHERE open)::int AS open
      FROM (SELECT "hostId", params, false AS open FROM live UNION ALL SELECT "hostId", params, true FROM opening) t
      GROUP BY "hostId"`;
    const counts = await this.prisma.$queryRaw<{ hostId: string; n: number }[]>`
      SELECT "hostId"::text AS "hostId", count(*)::int AS n FROM "Container"
      WHERE true ${only(Prisma.sql`"hostId"`)} GROUP BY "hostId"`;

    const usedBy = new Map(used.map((u) => [u.hostId, u]));
    const countOf = new Map(counts.map((c) => [c.hostId, c.n]));
    return hosts.map((h) => {
      const u = usedBy.get(h.id);
      return {
        ...h,
        memoryUsedBytes: u?.memory ?? 0,
        cpusUsed: u?.cpus ?? 0,
        containers: (countOf.get(h.id) ?? 0) + (u?.open ?? 0),
      };
    });
  }

  // Members of each of `groups` per host (of `hostIds`, or every host): containers carrying the
  // group label, plus those made or being made by placements of the group (LXC containers carry no labels).
  async groupCounts(groups: readonly string[], hostIds: readonly string[] | null): Promise<GroupCountRow[]> {
    if (groups.length === 0) return [];
    const names = groups as string[];
    const only = (column: Prisma.Sql) =>
      hostIds === null ? Prisma.empty : Prisma.sql`AND ${column} = ANY(${hostIds as string[]}::uuid[])`;
    return this.prisma.$queryRaw`
      WITH members AS (
        SELECT unnest("commandIds")::uuid AS id, "groupName" AS "group" FROM "Placement"
        WHERE "groupName" = ANY(${names}::text[]) AND NOT "dryRun"
        UNION
        SELECT id, params->'labels'->>'corral.group' FROM "Command"
        WHERE status IN ${OPEN} AND op = 'container.create' AND params->'labels'->>'corral.group' = ANY(${names}::text[])
      )
      SELECT "group", "hostId"::text AS "hostId", count(DISTINCT ident)::int AS n FROM (
        SELECT k.labels->>'corral.group' AS "group", k."hostId", k.key AS ident FROM "Container" k
        WHERE k.labels->>'corral.group' = ANY(${names}::text[]) ${only(Prisma.sql`k."hostId"`)}
        UNION ALL
        SELECT m."group", c."hostId", COALESCE(k.key, c.id::text)
        FROM members m JOIN "Command" c ON c.id = m.id
        LEFT JOIN "Container" k ON c.status = 'succeeded' AND k."hostId" = c."hostId" AND k.key = ${CREATED_KEY}
        WHERE (c.status IN ${OPEN} OR k.id IS NOT NULL) ${only(Prisma.sql`c."hostId"`)}
      ) x GROUP BY "group", "hostId"`;
  }

  // False when there is no such host.
  async setLabels(hostId: string, labels: Record<string, string>): Promise<boolean> {
    const n = await this.prisma.host.updateMany({ where: { id: hostId }, data: { labels } });
    return n.count > 0;
  }

  // Cordoning again keeps the first cordonedAt and replaces the reason. False when there is no such host.
  async setCordon(hostId: string, cordon: { reason: string | null; at: Date } | null): Promise<boolean> {
    const n = cordon
      ? await this.prisma.$executeRaw`
          UPDATE "Host" SET cordoned = true, "cordonedAt" = COALESCE("cordonedAt", ${cordon.at}),
                 "cordonReason" = ${cordon.reason}, "updatedAt" = now()
          WHERE id = ${hostId}::uuid`
      : await this.prisma.$executeRaw`
          UPDATE "Host" SET cordoned = false, "cordonedAt" = NULL, "cordonReason" = NULL, "updatedAt" = now()
          WHERE id = ${hostId}::uuid`;
    return n > 0;
  }

  // The host's containers with the placement group and placement each belongs to, if any: from the
  // container's labels, or (LXC) from the placement whose command created it.
  hostContainers(hostId: string): Promise<DrainContainerRow[]> {
    return this.prisma.$queryRaw`
      SELECT k.id::text AS id, k.name, k.runtime, k.state,
             COALESCE(k.labels->>'corral.group', p."groupName") AS "group",
             COALESCE(k.labels->>'corral.placement', p.id::text) AS "placementId"
      FROM "Container" k
      LEFT JOIN LATERAL (
        SELECT c.id FROM "Command" c
        WHERE c."hostId" = k."hostId" AND c.op = 'container.create' AND c.status = 'succeeded' AND ${CREATED_KEY} = k.key
        ORDER BY c."createdAt" DESC LIMIT 1
      ) c ON true
      LEFT JOIN "Placement" p ON c.id IS NOT NULL AND c.id::text = ANY(p."commandIds")
      WHERE k."hostId" = ${hostId}::uuid
      ORDER BY k.name, k.id`;
  }
}
