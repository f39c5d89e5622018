import { randomUUID } from 'node:crypto';
import { COMMAND_OPS, type CommandError, HOST_STATUS, isUuid, opSpec } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { runPrepared } from '../database/prepared.js';
import type { Tx } from '../database/transaction.js';
import type { Cursor } from '../dtos/pagination.dto.js';
import { type Command, type Host, Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { CommandStatus } from '../generated/prisma/enums.js';
import { OPEN_STATUSES } from '../services/command-states.js';
import { REQUESTED_BY_PATTERN } from '../services/principal.js';
import { insertAuditFrom, insertAuditHead, type NewAuditEntry } from './audit.repository.js';
import { pgJson } from './pg-encoding.js';
import { PG_POOL, PRISMA } from './tokens.js';

export type CommandRow = Command;

export interface NewCommand {
  // Chosen by the caller when it must know the id before the insert (to watch for the command's end).
  id?: string;
  hostId: string;
  op: string;
  target: Prisma.InputJsonValue;
  targetKind: string;
  targetId: string | null;
  params: Prisma.InputJsonValue;
  requestedBy: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  // sent (with sentAt) when the frame goes out right after the insert.
  status: Extract<CommandStatus, 'pending' | 'sent'>;
  sentAt: Date | null;
  createdAt: Date;
  deadline: Date;
}

export type TargetRowKind = 'container' | 'image' | 'volume' | 'network';

// `holder` on target rows and hosts: the replica holding the host's agent while it is online, else null.
export type TargetRow = { holder: string | null } & (
  | {
      kind: 'container';
      id: string;
      hostId: string;
      runtime: string;
      engineId: string;
      lxcPath: string | null;
      name: string;
    }
  | { kind: 'image'; id: string; hostId: string; engineId: string }
  | { kind: 'volume'; id: string; hostId: string; name: string }
  | { kind: 'network'; id: string; hostId: string; engineId: string }
);

export interface CommandHost {
  id: string;
  hostname: string;
  runtimes: Host['runtimes'];
  holder: string | null;
}

// A note to send with an insert: delivered to every listening replica when the insert commits.
export interface InsertNote {
  channel: string;
  payload: (id: string) => string;
}

export interface CommandListFilters {
  host?: string;
  status?: CommandStatus[];
  op?: string;
  target?: string;
}

// An agent's command.accepted: the command runs on `hostId` since `at`.
export interface AcceptedCommand {
  id: string;
  hostId: string;
  at: Date;
}

// An agent's command.result, as the final status it stands for.
export interface FinishedCommand {
  id: string;
  hostId: string;
  status: CommandStatus;
  result: Prisma.InputJsonObject | null;
  error: CommandError | null;
  at: Date;
}

// Ops whose result names a row they made: the Corral id of that row is added to the result.
const CREATES = {
  container: COMMAND_OPS.filter((op) => opSpec(op).creates === 'container'),
  image: COMMAND_OPS.filter((op) => opSpec(op).creates === 'image'),
};

export class DuplicateIdempotencyKeyError extends Error {}

const INSERT = `INSERT INTO "Command" (id, "hostId", op, target, "targetKind", "targetId", params, status,
  "requestedBy", "idempotencyKey", "requestHash", "createdAt", "sentAt", deadline)
  VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8::"CommandStatus", $9, $10, $11, $12, $13, $14)
  RETURNING *`;

// Many commands in one statement, the rows (NewCommand with an id) as the jsonb parameter `param`
// ("$1"); for statements that write commands together with other rows (placements).
export const insertCommandsFrom = (param: string) => `INSERT INTO "Command" (id, "hostId", op, target, "targetKind",
  "targetId", params, status, "requestedBy", "idempotencyKey", "requestHash", "createdAt", "sentAt", deadline)
  SELECT id, "hostId", op, target, "targetKind", "targetId", params, status::"CommandStatus",
    "requestedBy", "idempotencyKey", "requestHash", "createdAt", "sentAt", deadline
  FROM jsonb_to_recordset(${param}::jsonb) AS t(id uuid, "hostId" uuid, op text, target jsonb, "targetKind" text,
    "targetId" uuid, params jsonb, status text, "requestedBy" text, "idempotencyKey" text, "requestHash" text,
    "createdAt" timestamptz, "sentAt" timestamptz, deadline timestamptz)
  RETURNING *`;

// The insert with what goes with it in the same statement: its note (pg_notify, leaving with the
// commit, with no round trip of its own) and the audit entry of the request that made it.
const INSERT_NOTED = `WITH c AS (${INSERT}) SELECT c.*, pg_notify($15, $16) AS "noted" FROM c`;
const INSERT_AUDITED = `WITH c AS (${INSERT}), a AS (${insertAuditFrom('$15')}) SELECT c.* FROM c`;
const INSERT_NOTED_AUDITED = `WITH c AS (${INSERT}), a AS (${insertAuditFrom('$17')}) SELECT c.*, pg_notify($15, $16) AS "noted" FROM c`;

// The audit entry of each command a statement ends (the rows of its CTE `ended`), written by that
// statement: who asked for it (requestedBy is "<actor> (<actor id>)" or a bare actor; none is the
// system, as actorOfRequestedBy reads it, with the same pattern), the op, and how it ended.
const REQUESTED_BY = `regexp_match(e."requestedBy", '${REQUESTED_BY_PATTERN}')`;
const AUDIT_ENDED = `${insertAuditHead} SELECT gen_random_uuid(), e."finishedAt",
  CASE WHEN e."requestedBy" IS NULL THEN 'system' ELSE COALESCE((${REQUESTED_BY})[1], e."requestedBy") END,
  (${REQUESTED_BY})[2], 'command ' || e.op, 'command', e.id::text, e.status::text, NULL,
  jsonb_build_object('hostId', e."hostId") || CASE WHEN jsonb_typeof(e.error->'code') = 'string'
    THEN jsonb_build_object('errorCode', e.error->>'code') ELSE '{}'::jsonb END, NULL
  FROM ended e`;

const HOLDER = `CASE WHEN h.status = '${HOST_STATUS.online}' THEN h."replicaId" END AS holder`;
const TARGET_ROW: Record<TargetRowKind, string> = {
  container: `SELECT t.id, t."hostId", t.runtime, t."engineId", t."lxcPath", t.name, ${HOLDER} FROM "Container" t JOIN "Host" h ON h.id = t."hostId" WHERE t.id = $1`,
  image: `SELECT t.id, t."hostId", t."engineId", ${HOLDER} FROM "Image" t JOIN "Host" h ON h.id = t."hostId" WHERE t.id = $1`,
  volume: `SELECT t.id, t."hostId", t.name, ${HOLDER} FROM "Volume" t JOIN "Host" h ON h.id = t."hostId" WHERE t.id = $1`,
  network: `SELECT t.id, t."hostId", t."engineId", ${HOLDER} FROM "Network" t JOIN "Host" h ON h.id = t."hostId" WHERE t.id = $1`,
};
const COMMAND_HOST = `SELECT h.id, h.hostname, h.runtimes, ${HOLDER} FROM "Host" h WHERE h.id = $1`;

// Statuses as a SQL list of enum literals, for `status IN (...)`.
const statusList = (statuses: readonly CommandStatus[]) =>
  statuses.map((s) => `'${s.replace(/'/g, "''")}'::"CommandStatus"`).join(', ');

// The transaction a command is written in, when not on its own.
export type CommandDb = Tx;

// Thin I/O for commands. Every status change is one conditional UPDATE ... WHERE status IN (...).
// What every command request and agent answer does goes over plain pg (a fraction of Prisma's CPU
// per statement); the rest through Prisma.
@Injectable()
export class CommandRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  // In `db` (a caller's transaction) when given.
  // `audit`: the entry of the request that makes the command, written in the same statement.
  async insert(
    command: NewCommand,
    db?: CommandDb,
    note?: InsertNote,
    audit?: (id: string) => NewAuditEntry,
  ): Promise<CommandRow> {
    try {
      const c = command;
      const id = c.id ?? randomUUID();
      const noted = note ? [note.channel, note.payload(id)] : [];
      const audited = audit ? [pgJson([audit(id)])] : [];
      const text = note ? (audit ? INSERT_NOTED_AUDITED : INSERT_NOTED) : audit ? INSERT_AUDITED : INSERT;
      const { rows } = await runPrepared<CommandRow & { noted?: unknown }>(db ? db.client : this.pool, text, [
        id,
        c.hostId,
        c.op,
        pgJson(c.target),
        c.targetKind,
        c.targetId,
        pgJson(c.params),
        c.status,
        c.requestedBy,
        c.idempotencyKey,
        c.requestHash,
        c.createdAt,
        c.sentAt,
        c.deadline,
        ...noted,
        ...audited,
      ]);
      const { noted: _, ...row } = rows[0]!;
      return row;
    } catch (err) {
      const code = err instanceof Prisma.PrismaClientKnownRequestError ? err.code : (err as { code?: string }).code;
      // Unique violation: the idempotency key is the only unique column a client chooses.
      if (code === 'P2002' || code === '23505') {
        throw new DuplicateIdempotencyKeyError(`idempotency key ${command.idempotencyKey} exists`);
      }
      throw err;
    }
  }

  // Commands with their ids chosen by the caller, in one statement of the caller's transaction;
  // rows come back in the order given.
  // On the pool, not Prisma: every ?wait answered for a command another replica ended reads it here.
  async findById(id: string): Promise<CommandRow | null> {
    if (!isUuid(id)) return null;
    const { rows } = await runPrepared<CommandRow>(this.pool, 'SELECT * FROM "Command" WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  findByIdempotencyKey(key: string): Promise<CommandRow | null> {
    return this.prisma.command.findUnique({ where: { idempotencyKey: key } });
  }

  // pending -> sent: the updated row, or null when it was not in `from` (or not on `hostId`). One
  // statement on the pool: the replica holding a host sends every command other replicas made for it.
  async markSent(
    id: string,
    from: readonly CommandStatus[],
    sentAt: Date,
    hostId?: string,
  ): Promise<CommandRow | null> {
    const { rows } = await runPrepared<CommandRow>(
      this.pool,
      `UPDATE "Command" SET status = 'sent', "sentAt" = $2
       WHERE id = $1 AND status::text = ANY($3::text[]) AND ($4::uuid IS NULL OR "hostId" = $4::uuid) RETURNING *`,
      [id, sentAt, [...from], hostId ?? null],
    );
    return rows[0] ?? null;
  }

  // The updated row, or null when the command was not in one of `from` (or not on `hostId`).
  async transition(
    id: string,
    from: readonly CommandStatus[],
    data: Prisma.CommandUpdateManyMutationInput,
    hostId?: string,
  ): Promise<CommandRow | null> {
    const rows = await this.prisma.command.updateManyAndReturn({
      where: { id, status: { in: [...from] }, ...(hostId ? { hostId } : {}) },
      data,
    });
    return rows[0] ?? null;
  }

  // A command still in `from` canceled at `at` with `error`, with its end's audit entry; null when it was not.
  async cancel(id: string, from: readonly CommandStatus[], at: Date, error: CommandError): Promise<CommandRow | null> {
    const { rows } = await this.pool.query<CommandRow>(
      `WITH ended AS (UPDATE "Command" SET status = 'canceled', "finishedAt" = $2, error = $3::jsonb
      WHERE id = $1 AND status IN (${statusList(from)}) RETURNING *), audited AS (${AUDIT_ENDED}) SELECT * FROM ended`,
      [id, at, pgJson(error)],
    );
    return rows[0] ?? null;
  }

  // Many command.accepted in one statement: running where still in `from` on that host. The rows that changed.
  async acceptMany(from: readonly CommandStatus[], items: AcceptedCommand[]): Promise<CommandRow[]> {
    const { rows } = await runPrepared<CommandRow>(
      this.pool,
      `UPDATE "Command" c
      SET status = 'running', "startedAt" = a.at
      FROM jsonb_to_recordset($1::jsonb) AS a(id uuid, "hostId" uuid, at timestamptz)
      WHERE c.id = a.id AND c."hostId" = a."hostId" AND c.status IN (${statusList(from)})
      RETURNING c.*`,
      [pgJson(items)],
    );
    return rows;
  }

  // Many command.result in one statement: each row takes its final status, result and error where
  // still in `from` on that host; results of ops that made a row get its Corral id. The rows that changed.
  async finishMany(from: readonly CommandStatus[], items: FinishedCommand[]): Promise<CommandRow[]> {
    const { rows } = await runPrepared<CommandRow>(
      this.pool,
      `WITH ended AS (UPDATE "Command" c
      SET status = f.status::"CommandStatus", error = f.error, "finishedAt" = f.at,
        result = CASE
          WHEN c.op = ANY($2::text[]) AND f.result ? 'key' THEN f.result || jsonb_build_object('containerId',
            (SELECT k.id FROM "Container" k WHERE k."hostId" = c."hostId" AND k.key = f.result->>'key'))
          WHEN c.op = ANY($3::text[]) AND f.result ? 'id' THEN f.result || jsonb_build_object('imageId',
            (SELECT k.id FROM "Image" k WHERE k."hostId" = c."hostId" AND k.key = f.result->>'id'))
          ELSE f.result END
      FROM jsonb_to_recordset($1::jsonb)
        AS f(id uuid, "hostId" uuid, status text, result jsonb, error jsonb, at timestamptz)
      WHERE c.id = f.id AND c."hostId" = f."hostId" AND c.status IN (${statusList(from)})
      RETURNING c.*), audited AS (${AUDIT_ENDED}) SELECT * FROM ended`,
      [pgJson(items), CREATES.container, CREATES.image],
    );
    return rows;
  }

  // Open commands of these hosts whose deadline is still ahead, oldest first (one query for a batch
  // of reconnecting hosts).
  openForHosts(hostIds: string[], now: Date): Promise<CommandRow[]> {
    return this.prisma.command.findMany({
      where: { hostId: { in: hostIds }, status: { in: [...OPEN_STATUSES] }, deadline: { gt: now } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  // Ends every command in `from` past its deadline: timed_out, or canceled when a cancel was asked for.
  async expire(
    from: readonly CommandStatus[],
    now: Date,
    timeoutError: CommandError,
    cancelError: CommandError,
  ): Promise<{ row: CommandRow; previousStatus: CommandStatus }[]> {
    const { rows } = await this.pool.query<CommandRow & { previousStatus: CommandStatus }>(
      `WITH ended AS (UPDATE "Command" c
      SET status = (CASE WHEN old."cancelRequestedAt" IS NULL THEN 'timed_out' ELSE 'canceled' END)::"CommandStatus",
          error = CASE WHEN old."cancelRequestedAt" IS NULL THEN $2::jsonb ELSE $3::jsonb END,
          "finishedAt" = $1
      FROM (
        SELECT id, status, "cancelRequestedAt" FROM "Command"
        WHERE status IN (${statusList(from)}) AND deadline <= $1
        ORDER BY deadline
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
      ) old
      WHERE c.id = old.id AND c.status IN (${statusList(from)})
      RETURNING c.*, old.status AS "previousStatus"), audited AS (${AUDIT_ENDED}) SELECT * FROM ended`,
      [now, pgJson(timeoutError), pgJson(cancelError)],
    );
    return rows.map(({ previousStatus, ...row }) => ({ row, previousStatus }));
  }

  // Appends to the capped output buffer of a command in `from`; false when it is not (or not this host's).
  async appendOutput(
    from: readonly CommandStatus[],
    id: string,
    hostId: string,
    chunk: string,
    cap: number,
  ): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE "Command"
      SET output = left(output || $3, $4),
          "outputTruncated" = "outputTruncated" OR length(output) + length($3) > $4
      WHERE id = $1 AND "hostId" = $2 AND status IN (${statusList(from)})`,
      [id, hostId, chunk, cap],
    );
    return (rowCount ?? 0) > 0;
  }

  async findHost(id: string): Promise<CommandHost | null> {
    const { rows } = await runPrepared<CommandHost>(this.pool, COMMAND_HOST, [id]);
    return rows[0] ?? null;
  }

  // An inventory row a command can act on, with what the protocol target needs.
  async findTargetRow(kind: TargetRowKind, id: string): Promise<TargetRow | null> {
    const { rows } = await runPrepared(this.pool, TARGET_ROW[kind], [id]);
    return rows[0] ? ({ kind, ...rows[0] } as TargetRow) : null;
  }

  // Newest first; keyset on (createdAt, id).
  list(filters: CommandListFilters, limit: number, after?: Cursor): Promise<CommandRow[]> {
    const where: Prisma.CommandWhereInput[] = [];
    if (filters.host) {
      where.push(
        isUuid(filters.host)
          ? { hostId: filters.host }
          : { host: { hostname: { equals: filters.host, mode: 'insensitive' } } },
      );
    }
    if (filters.status) where.push({ status: { in: filters.status } });
    if (filters.op) where.push({ op: filters.op });
    if (filters.target) where.push({ targetId: filters.target });
    if (after) {
      const at = new Date(after.key);
      where.push({ OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: after.id } }] });
    }
    return this.prisma.command.findMany({
      where: { AND: where },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }
}
