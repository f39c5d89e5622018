import { Inject, Injectable } from '@nestjs/common';
import { type Expression, type SqlBool, sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { KYSELY } from './tokens.js';

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

type RowKind = Exclude<LookupKind, 'host'>;
type Table = 'Container' | 'Image' | 'Volume' | 'Network';
const TABLE: Record<RowKind, Table> = { container: 'Container', image: 'Image', volume: 'Volume', network: 'Network' };

// An engine id prefix counts from 12 characters on (Docker's short id); shorter ones match nothing.
const MIN_PREFIX = 12;
const prefixPattern = (ref: string) => `${ref.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// Each kind's ways of being named besides its Corral id, tried in this order; the first that
// matches anything wins. `r` is the kind's table.
type Way = (ref: string) => Expression<SqlBool> | null;
const WAYS: Record<RowKind, Way[]> = {
  container: [
    (ref) => sql<SqlBool>`r.name = ${ref}`,
    (ref) => sql<SqlBool>`r."engineId" = ${ref}`,
    (ref) =>
      ref.length >= MIN_PREFIX ? sql<SqlBool>`r.runtime = 'docker' AND r."engineId" LIKE ${prefixPattern(ref)}` : null,
  ],
  image: [
    (ref) => sql<SqlBool>`${ref} = ANY(r.tags)`,
    (ref) => sql<SqlBool>`r."engineId" IN (${ref}, ${`sha256:${ref}`})`,
    (ref) =>
      ref.length >= MIN_PREFIX
        ? sql<SqlBool>`(r."engineId" LIKE ${prefixPattern(ref)} OR r."engineId" LIKE ${prefixPattern(`sha256:${ref}`)})`
        : null,
  ],
  volume: [(ref) => sql<SqlBool>`r.name = ${ref}`],
  network: [
    (ref) => sql<SqlBool>`r.name = ${ref}`,
    (ref) => sql<SqlBool>`r."engineId" = ${ref}`,
    (ref) => (ref.length >= MIN_PREFIX ? sql<SqlBool>`r."engineId" LIKE ${prefixPattern(ref)}` : null),
  ],
};

// The name a candidate is shown with: its name, or for images its first tag (else the image id).
const shownName = (kind: RowKind) =>
  kind === 'image' ? sql<string>`coalesce(r.tags[1], r."engineId")` : sql<string>`r.name`;

// Finds the rows a person's reference to a host or an inventory row may mean.
@Injectable()
export class ResourceLookupRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  async byId(kind: LookupKind, id: string): Promise<LookupCandidate | null> {
    if (kind === 'host') {
      const row = await this.hosts().where('h.id', '=', id).executeTakeFirst();
      return row ?? null;
    }
    const row = await this.rows(kind).where('r.id', '=', id).executeTakeFirst();
    return row ?? null;
  }

  // The rows of the first way of naming that matches, within one host when `hostId` is given; at
  // most MAX_CANDIDATES + 1, so callers can tell "more".
  async byName(kind: LookupKind, ref: string, hostId: string | null): Promise<LookupCandidate[]> {
    if (kind === 'host') {
      if (hostId) return [];
      return this.hosts()
        .where(sql<SqlBool>`lower(h.hostname) = lower(${ref})`)
        .orderBy('h.id')
        .limit(MAX_CANDIDATES + 1)
        .execute();
    }
    for (const way of WAYS[kind]) {
      const condition = way(ref);
      if (!condition) continue;
      let query = this.rows(kind).where(condition);
      if (hostId) query = query.where('r.hostId', '=', hostId);
      const rows = await query
        .orderBy('r.id')
        .limit(MAX_CANDIDATES + 1)
        .execute();
      if (rows.length > 0) return rows;
    }
    return [];
  }

  private hosts() {
    return this.db
      .selectFrom('Host as h')
      .select([
        'h.id',
        'h.hostname as name',
        sql<string | null>`NULL::text`.as('hostId'),
        sql<string | null>`NULL::text`.as('hostname'),
      ]);
  }

  private rows(kind: RowKind) {
    return this.db
      .selectFrom(`${TABLE[kind]} as r` as 'Container as r')
      .innerJoin('Host as h', 'h.id', 'r.hostId')
      .select(['r.id', shownName(kind).as('name'), 'r.hostId', 'h.hostname']);
  }
}
