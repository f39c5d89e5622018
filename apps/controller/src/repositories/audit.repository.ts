import { Inject, Injectable } from '@nestjs/common';
import { type Selectable, sql } from 'kysely';
import type { Pool } from 'pg';
import type { DB, Db } from '../database/kysely.js';
import { runPrepared } from '../database/prepared.js';
import type { Cursor } from '../dtos/pagination.dto.js';
import type { JsonValue } from '../generated/kysely/db.js';
import { pgJson } from './pg-encoding.js';
import { KYSELY, PG_POOL } from './tokens.js';

export type AuditRow = Selectable<DB['AuditEntry']>;

export interface NewAuditEntry {
  // When it happened (the insert's time when left out).
  at?: Date;
  actor: string;
  actorId: string | null;
  action: string;
  targetKind: string | null;
  targetId: string | null;
  outcome: string;
  statusCode: number | null;
  detail: JsonValue;
  remoteAddr: string | null;
}

export interface AuditFilters {
  actor?: string;
  action?: string;
  targetKind?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
}

@Injectable()
export class AuditRepository {
  constructor(
    @Inject(KYSELY) private readonly db: Db,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  // Many entries, one statement (every request writes one), prepared once per connection.
  async insert(entries: NewAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const { sql: text, parameters } = auditQueries.insert(entries).compile(this.db);
    await runPrepared(this.pool, text, [...parameters]);
  }

  // Newest first; keyset on (at, id).
  list(filters: AuditFilters, limit: number, after?: Cursor): Promise<AuditRow[]> {
    return auditQueries.list(this.db, filters, limit, after).execute();
  }
}

// Entries as one jsonb parameter; the text around it is shared with statements that write entries
// together with other rows (insertAuditFrom).
export const insertAuditHead = `INSERT INTO "AuditEntry" (id, at, actor, "actorId", action, "targetKind", "targetId", \
outcome, "statusCode", detail, "remoteAddr")`;
const INSERT_HEAD = `${insertAuditHead} SELECT gen_random_uuid(), COALESCE(e.at, now()), e.actor, e."actorId", e.action, \
e."targetKind", e."targetId", e.outcome, e."statusCode", COALESCE(e.detail, '{}'), e."remoteAddr" \
FROM jsonb_to_recordset(`;
const INSERT_TAIL = `::jsonb) AS e(at timestamptz, actor text, "actorId" text, action text, \
"targetKind" text, "targetId" text, outcome text, "statusCode" integer, detail jsonb, "remoteAddr" text)`;

// The entries (NewAuditEntry[]) in the jsonb parameter `param` ("$3"), for a statement of other writes.
export const insertAuditFrom = (param: string) => `${INSERT_HEAD}${param}${INSERT_TAIL}`;

export const auditQueries = {
  insert: (entries: NewAuditEntry[]) => sql`${sql.raw(INSERT_HEAD)}${pgJson(entries)}${sql.raw(INSERT_TAIL)}`,

  list: (db: Db, filters: AuditFilters, limit: number, after?: Cursor) =>
    db
      .selectFrom('AuditEntry')
      .selectAll()
      .$if(!!filters.actor, (q) =>
        q.where((eb) => eb.or([eb('actor', '=', filters.actor!), eb('actorId', '=', filters.actor!)])),
      )
      .$if(!!filters.action, (q) => q.where('action', 'like', containing(filters.action!)))
      .$if(!!filters.targetKind, (q) => q.where('targetKind', '=', filters.targetKind!))
      .$if(!!filters.targetId, (q) => q.where('targetId', '=', filters.targetId!))
      .$if(!!filters.since, (q) => q.where('at', '>=', filters.since!))
      .$if(!!filters.until, (q) => q.where('at', '<', filters.until!))
      .$if(!!after, (q) => {
        const at = new Date(after!.key);
        return q.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', after!.id)])]));
      })
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit),
};

// LIKE pattern for a substring, case-sensitive, with LIKE's own wildcards taken literally.
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
