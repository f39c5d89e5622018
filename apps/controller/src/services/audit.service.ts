import { maskSecretsDeep } from '@corral/protocol';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AuditEntryDto, AuditQuery } from '../dtos/auth.dto.js';
import { type Page, toPage } from '../dtos/pagination.dto.js';
import { AuditRepository, type AuditRow, type NewAuditEntry } from '../repositories/audit.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { Batcher } from './batcher.js';
import { actorOf, type Principal } from './principal.js';

export interface AuditRecord {
  principal?: Principal | null;
  // Who, when no principal is at hand (a command's requestedBy).
  actor?: { actor: string; actorId: string | null };
  action: string;
  targetKind?: string | null;
  targetId?: string | null;
  outcome: string;
  statusCode?: number | null;
  detail?: Record<string, unknown>;
  remoteAddr?: string | null;
}

// Denied requests are recorded up to this many per remote address a minute; the rest are counted
// in the log, so a flood of bad credentials cannot turn into a flood of writes.
const DENIED_PER_MINUTE = 60;

function toAuditDto(row: AuditRow): AuditEntryDto {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    actorId: row.actorId,
    action: row.action,
    targetKind: row.targetKind,
    targetId: row.targetId,
    outcome: row.outcome,
    statusCode: row.statusCode,
    detail: row.detail as Record<string, unknown>,
    remoteAddr: row.remoteAddr,
  };
}

// Who did what to what, when, and how it ended. Writing an entry never fails the request it records.
// A command's end is written by the statement that ends it (command.repository.ts, AUDIT_ENDED).
@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private denied = new Map<string, number>();
  private suppressed = 0;
  private windowTimer: NodeJS.Timeout | null = null;
  // Two inserts at a time; entries arriving meanwhile go in together with the next one.
  private readonly writer = new Batcher<NewAuditEntry, void>(
    async (entries) => {
      await this.insert(entries);
      return entries.map(() => undefined);
    },
    { maxBatch: 500, concurrency: 2 },
  );

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: AuditRepository,
  ) {}

  onModuleInit(): void {
    this.windowTimer = setInterval(() => this.rollWindow(), 60_000);
    this.windowTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.windowTimer) clearInterval(this.windowTimer);
  }

  async record(entry: AuditRecord): Promise<void> {
    await this.write(this.entryOf(entry));
  }

  // The row of an entry, for a caller that writes it with its own rows in one statement (a
  // placement's entry goes with its Placement row), instead of record().
  entryOf(entry: AuditRecord): NewAuditEntry {
    const { actor, actorId } = entry.actor ?? actorOf(entry.principal);
    return {
      at: this.clock.now(),
      actor,
      actorId,
      action: entry.action,
      targetKind: entry.targetKind ?? null,
      targetId: entry.targetId ?? null,
      outcome: entry.outcome,
      statusCode: entry.statusCode ?? null,
      // Secret-looking env values never reach the audit log, whoever reads it.
      detail: maskSecretsDeep(entry.detail ?? {}) as NewAuditEntry['detail'],
      remoteAddr: entry.remoteAddr ?? null,
    };
  }

  async recordDenied(entry: AuditRecord): Promise<void> {
    const key = entry.remoteAddr ?? 'unknown';
    const count = (this.denied.get(key) ?? 0) + 1;
    this.denied.set(key, count);
    if (count > DENIED_PER_MINUTE) {
      this.suppressed++;
      return;
    }
    await this.record(entry);
  }

  async list(query: AuditQuery): Promise<Page<AuditEntryDto>> {
    const rows = await this.repo.list(
      {
        actor: query.actor,
        action: query.action,
        targetKind: query.targetKind,
        targetId: query.targetId,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
      },
      query.limit + 1,
      query.cursor,
    );
    return toPage(rows, query.limit, (r) => ({ key: r.at.toISOString(), id: r.id }), toAuditDto);
  }

  // Resolves once the entry is stored (or its failure logged).
  private write(entry: NewAuditEntry): Promise<void> {
    return this.writer.submit(entry);
  }

  private async insert(entries: NewAuditEntry[]): Promise<void> {
    try {
      await this.repo.insert(entries);
    } catch (err) {
      if (entries.length > 1) {
        // One entry the database refuses must not cost the others theirs.
        for (const entry of entries) await this.insert([entry]);
        return;
      }
      const entry = entries[0]!;
      this.logger.error(`could not write audit entry ${entry.action} by ${entry.actor}: ${(err as Error).message}`);
    }
  }

  private rollWindow(): void {
    if (this.suppressed > 0) {
      this.logger.warn(`${this.suppressed} denied requests in the last minute were not written to the audit log`);
    }
    this.suppressed = 0;
    this.denied = new Map();
  }
}
