import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from './tokens.js';

export type LookupKind = 'host' | 'container' | 'image' | 'volume' | 'network';

// A row a reference may mean, with what a person needs to tell candidates apart.
export interface LookupCandidate {
  id: string;
  name: string;
  hostId: string | null;
  hostname: string | null;
}

// How many candidates an ambiguous reference reports at most.
export const MAX_CANDIDATES = 20;

const HOST_COLUMNS = `h.id::text AS id, h.hostname AS name, NULL::text AS "hostId", NULL::text AS hostname`;
const row = (table: string, name: string) =>
  `SELECT r.id::text AS id, ${name} AS name, r."hostId"::text AS "hostId", h.hostname
   FROM "${table}" r JOIN "Host" h ON h.id = r."hostId"`;

// Each kind's ways of being named, tried in this order; the first that matches anything wins.
// $1 is the reference, $2 a host id or null to search every host.
const BY_NAME: Record<LookupKind, string[]> = {
  host: [`SELECT ${HOST_COLUMNS} FROM "Host" h WHERE lower(h.hostname) = lower($1) AND $2::uuid IS NULL`],
  container: [
    `${row('Container', 'r.name')} WHERE r.name = $1 AND ($2::uuid IS NULL OR r."hostId" = $2)`,
    `${row('Container', 'r.name')} WHERE r."engineId" = $1 AND ($2::uuid IS NULL OR r."hostId" = $2)`,
    `${row('Container', 'r.name')} WHERE length($1) >= 12 AND r.runtime = 'docker'
       AND starts_with(r."engineId", $1) AND ($2::uuid IS NULL OR r."hostId" = $2)`,
  ],
  image: [
    `${row('Image', `coalesce(r.tags[1], r."engineId")`)} WHERE $1 = ANY(r.tags) AND ($2::uuid IS NULL OR r."hostId" = $2)`,
    `${row('Image', `coalesce(r.tags[1], r."engineId")`)} WHERE r."engineId" IN ($1, 'sha256:' || $1)
       AND ($2::uuid IS NULL OR r."hostId" = $2)`,
    `${row('Image', `coalesce(r.tags[1], r."engineId")`)} WHERE length($1) >= 12
       AND (starts_with(r."engineId", $1) OR starts_with(r."engineId", 'sha256:' || $1))
       AND ($2::uuid IS NULL OR r."hostId" = $2)`,
  ],
  volume: [`${row('Volume', 'r.name')} WHERE r.name = $1 AND ($2::uuid IS NULL OR r."hostId" = $2)`],
  network: [
    `${row('Network', 'r.name')} WHERE r.name = $1 AND ($2::uuid IS NULL OR r."hostId" = $2)`,
    `${row('Network', 'r.name')} WHERE r."engineId" = $1 AND ($2::uuid IS NULL OR r."hostId" = $2)`,
    `${row('Network', 'r.name')} WHERE length($1) >= 12 AND starts_with(r."engineId", $1)
       AND ($2::uuid IS NULL OR r."hostId" = $2)`,
  ],
};

const BY_ID: Record<LookupKind, string> = {
  host: `SELECT ${HOST_COLUMNS} FROM "Host" h WHERE h.id = $1`,
  container: `${row('Container', 'r.name')} WHERE r.id = $1`,
  image: `${row('Image', `coalesce(r.tags[1], r."engineId")`)} WHERE r.id = $1`,
  volume: `${row('Volume', 'r.name')} WHERE r.id = $1`,
  network: `${row('Network', 'r.name')} WHERE r.id = $1`,
};

// Finds the rows a person's reference to a host or an inventory row may mean.
@Injectable()
export class ResourceLookupRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async byId(kind: LookupKind, id: string): Promise<LookupCandidate | null> {
    const { rows } = await this.pool.query<LookupCandidate>(BY_ID[kind], [id]);
    return rows[0] ?? null;
  }

  // The rows of the first way of naming that matches; at most MAX_CANDIDATES + 1, so callers can tell "more".
  async byName(kind: LookupKind, ref: string, hostId: string | null): Promise<LookupCandidate[]> {
    for (const query of BY_NAME[kind]) {
      const { rows } = await this.pool.query<LookupCandidate>(`${query} ORDER BY 1 LIMIT ${MAX_CANDIDATES + 1}`, [
        ref,
        hostId,
      ]);
      if (rows.length > 0) return rows;
    }
    return [];
  }
}
