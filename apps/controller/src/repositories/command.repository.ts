import type { CommandError } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { Cursor } from '../dtos/pagination.dto.js';
import { type Command, type Host, Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { CommandStatus } from '../generated/prisma/enums.js';
import { PRISMA } from './tokens.js';

export type CommandRow = Command;

export interface NewCommand {
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

export type TargetRow =
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
  | { kind: 'network'; id: string; hostId: string; engineId: string };

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

// A command the deadline sweeper ended, with the status it had before.
export interface ExpiredCommand {
  row: CommandRow;
  previousStatus: CommandStatus;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class DuplicateIdempotencyKeyError extends Error {}

const statusList = (statuses: readonly CommandStatus[]) =>
  Prisma.join(statuses.map((s) => Prisma.sql`${s}::"CommandStatus"`));

// The client or the transaction a command is written with.
export type CommandDb = Pick<PrismaClient, 'command'>;

// Thin I/O for commands. Every status change is one conditional UPDATE ... WHERE status IN (...).
@Injectable()
export class CommandRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async insert(command: NewCommand, db: CommandDb = this.prisma): Promise<CommandRow> {
    try {
      return await db.command.create({ data: command });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new DuplicateIdempotencyKeyError(`idempotency key ${command.idempotencyKey} exists`);
      }
      throw err;
    }
  }

  findById(id: string): Promise<CommandRow | null> {
    return this.prisma.command.findUnique({ where: { id } });
  }

  findByIdempotencyKey(key: string): Promise<CommandRow | null> {
    return this.prisma.command.findUnique({ where: { idempotencyKey: key } });
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

  // Many command.accepted in one statement: running where still in `from` on that host. The rows that changed.
  acceptMany(from: readonly CommandStatus[], items: AcceptedCommand[]): Promise<CommandRow[]> {
    return this.prisma.$queryRaw<CommandRow[]>(Prisma.sql`
      UPDATE "Command" c
      SET status = 'running', "startedAt" = a.at
      FROM jsonb_to_recordset(${JSON.stringify(items)}::jsonb) AS a(id uuid, "hostId" uuid, at timestamptz)
      WHERE c.id = a.id AND c."hostId" = a."hostId" AND c.status IN (${statusList(from)})
      RETURNING c.*`);
  }

  // Many command.result in one statement: each row takes its final status, result and error where
  // still in `from` on that host. The rows that changed.
  finishMany(from: readonly CommandStatus[], items: FinishedCommand[]): Promise<CommandRow[]> {
    return this.prisma.$queryRaw<CommandRow[]>(Prisma.sql`
      UPDATE "Command" c
      SET status = f.status::"CommandStatus", result = f.result, error = f.error, "finishedAt" = f.at
      FROM jsonb_to_recordset(${JSON.stringify(items)}::jsonb)
        AS f(id uuid, "hostId" uuid, status text, result jsonb, error jsonb, at timestamptz)
      WHERE c.id = f.id AND c."hostId" = f."hostId" AND c.status IN (${statusList(from)})
      RETURNING c.*`);
  }

  // Open commands for a host whose deadline is still ahead, oldest first.
  // Open commands of these hosts, oldest first (one query for a batch of reconnecting hosts).
  openForHosts(hostIds: string[], now: Date): Promise<CommandRow[]> {
    return this.prisma.command.findMany({
      where: { hostId: { in: hostIds }, status: { in: ['pending', 'sent', 'running'] }, deadline: { gt: now } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  // Ends every open command past its deadline: timed_out, or canceled when a cancel was asked for.
  async expire(now: Date, timeoutError: CommandError, cancelError: CommandError): Promise<ExpiredCommand[]> {
    const rows = await this.prisma.$queryRaw<(CommandRow & { previousStatus: CommandStatus })[]>(Prisma.sql`
      UPDATE "Command" c
      SET status = (CASE WHEN old."cancelRequestedAt" IS NULL THEN 'timed_out' ELSE 'canceled' END)::"CommandStatus",
          error = CASE WHEN old."cancelRequestedAt" IS NULL THEN ${JSON.stringify(timeoutError)}::jsonb ELSE ${JSON.stringify(cancelError)}::jsonb END,
          "finishedAt" = ${now}
      FROM (
        SELECT id, status, "cancelRequestedAt" FROM "Command"
        WHERE status IN ('pending', 'sent', 'running') AND deadline <= ${now}
        ORDER BY deadline
        LIMIT 1000
        FOR UPDATE SKIP LOCKED
      ) old
      WHERE c.id = old.id AND c.status IN ('pending', 'sent', 'running')
      RETURNING c.*, old.status AS "previousStatus"`);
    return rows.map(({ previousStatus, ...row }) => ({ row, previousStatus }));
  }

  // Appends to the capped output buffer of an open command; false when it is not open (or not this host's).
  async appendOutput(id: string, hostId: string, chunk: string, cap: number): Promise<boolean> {
    const count = await this.prisma.$executeRaw(Prisma.sql`
      UPDATE "Command"
      SET output = left(output || ${chunk}, ${cap}),
          "outputTruncated" = "outputTruncated" OR length(output) + length(${chunk}) > ${cap}
      WHERE id = ${id}::uuid AND "hostId" = ${hostId}::uuid AND status IN ('pending', 'sent', 'running')`);
    return count > 0;
  }

  findHost(id: string): Promise<Pick<Host, 'id' | 'hostname' | 'runtimes'> | null> {
    return this.prisma.host.findUnique({ where: { id }, select: { id: true, hostname: true, runtimes: true } });
  }

  // An inventory row a command can act on, with what the protocol target needs.
  async findTargetRow(kind: TargetRowKind, id: string): Promise<TargetRow | null> {
    const select = { id: true, hostId: true } as const;
    switch (kind) {
      case 'container': {
        const row = await this.prisma.container.findUnique({
          where: { id },
          select: { ...select, runtime: true, engineId: true, lxcPath: true, name: true },
        });
        return row && { kind, ...row };
      }
      case 'image': {
        const row = await this.prisma.image.findUnique({ where: { id }, select: { ...select, engineId: true } });
        return row && { kind, ...row };
      }
      case 'volume': {
        const row = await this.prisma.volume.findUnique({ where: { id }, select: { ...select, name: true } });
        return row && { kind, ...row };
      }
      case 'network': {
        const row = await this.prisma.network.findUnique({ where: { id }, select: { ...select, engineId: true } });
        return row && { kind, ...row };
      }
    }
  }

  // Newest first; keyset on (createdAt, id).
  list(filters: CommandListFilters, limit: number, after?: Cursor): Promise<CommandRow[]> {
    const where: Prisma.CommandWhereInput[] = [];
    if (filters.host) {
      where.push(
        GUID.test(filters.host)
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
