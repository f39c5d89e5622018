import { randomUUID } from 'node:crypto';
import { isUuid } from '@corral/protocol';
import { Injectable, Logger } from '@nestjs/common';
import { type Page, toPage } from '../dtos/pagination.dto.js';
import type { PlacementDto, PlacementListQuery, PlacementRequest, PlacementSummaryDto } from '../dtos/placement.dto.js';
import type { NewAuditEntry } from '../repositories/audit.repository.js';
import { PlacementRepository, type PlacementRow } from '../repositories/placement.repository.js';
import { type CommandRequest, CommandService } from './command.service.js';
import { toCommandDto } from './command-response.mapper.js';
import { CreatePolicyService, withPolicyRefusal } from './create-policy.service.js';
import { BadRequestError, NotFoundError } from './errors.js';
import { planPlacement } from './placement-plan.js';
import { placementStatus, toPlacementDto, toPlacementSummaryDto } from './placement-response.mapper.js';
import { PlacementWriter, type PlacementWritten } from './placement-writer.js';
import { explain, type PlacementOutcome } from './scheduler/explanation.js';
import type { SchedulingHost } from './scheduler/scheduler.types.js';
import { SchedulerIndexService } from './scheduler-index.service.js';

export interface PlacementOptions {
  dryRun: boolean;
  // wait, deadline and who asked, as for any command route.
  request: CommandRequest;
  // The request's audit entry for the status it answers with, written with the placement's rows.
  audit?: (statusCode: number) => NewAuditEntry;
}

export interface PlacementResult {
  outcome: PlacementOutcome;
  placement: PlacementDto;
}

// `hosts` of a request, by id or hostname (case-insensitive), to host ids; 400 for one that names no host.
export function resolveHosts(rows: readonly { id: string; hostname: string }[], wanted: string[]): Set<string> {
  const ids = new Set<string>();
  for (const w of wanted) {
    const matches = isUuid(w)
      ? rows.filter((r) => r.id === w.toLowerCase())
      : rows.filter((r) => r.hostname.toLowerCase() === w.toLowerCase());
    if (matches.length === 0) throw new BadRequestError(`hosts: no host has the name or id "${w}"`, 'hosts');
    for (const m of matches) ids.add(m.id);
  }
  return ids;
}

// Chooses hosts for containers and creates them there. The decision is made on the scheduling index
// this process keeps, and its replicas are reserved there in the same synchronous step, so
// concurrent placements see each other's reservations; then the command rows and the Placement row
// are written in one transaction (PlacementWriter), and the commands sent after the commit.
@Injectable()
export class PlacementService {
  private readonly logger = new Logger(PlacementService.name);

  constructor(
    private readonly index: SchedulerIndexService,
    private readonly placements: PlacementRepository,
    private readonly writer: PlacementWriter,
    private readonly commands: CommandService,
    private readonly createPolicy: CreatePolicyService,
  ) {}

  async place(request: PlacementRequest, options: PlacementOptions): Promise<PlacementResult> {
    const id = randomUUID();
    const plan = planPlacement(request, id);
    const { deadlineSeconds: _, ...stored } = request;
    const requestedBy = options.request.requestedBy;
    const live = await this.index.settled(plan.demand.group);
    // Hosts whose create policy refuses the spec are turned down with the rule as the reason. Every
    // host the decision may see is checked: hosts that appear while the policy is read are checked too.
    let generation = live.generation;
    const checked = new Set<string>();
    let unchecked: readonly string[] = live.ids();
    const refused = new Map<string, string>();
    while (unchecked.length > 0) {
      const found = await this.createPolicy.refusals(unchecked, plan.params[0]!, requestedBy);
      for (const [hostId, why] of found) refused.set(hostId, why);
      if (live.generation === generation) break;
      for (const hostId of unchecked) checked.add(hostId);
      generation = live.generation;
      unchecked = live.ids().filter((hostId) => !checked.has(hostId));
    }

    // From here to the reservation nothing awaits: the decision sees the index as it stands.
    const hostIds = request.hosts ? resolveHosts(live.identities(), request.hosts) : null;
    const demand = { ...plan.demand, hostIds };
    const refuse =
      refused.size === 0 ? undefined : (h: SchedulingHost) => withPolicyRefusal(h, request.runtime, refused.get(h.id));
    const result = live.schedule(demand, { strategy: request.strategy, replicas: request.replicas }, refuse);
    const complete = result.placed === request.replicas;
    const placed = request.allOrNothing && !complete ? 0 : result.placed;
    const outcome: PlacementOutcome = options.dryRun
      ? 'dry_run'
      : complete
        ? 'placed'
        : placed > 0
          ? 'partial'
          : 'rejected';
    const explanation = explain({
      schedule: result,
      demand,
      strategy: request.strategy,
      replicas: request.replicas,
      names: plan.names,
      outcome,
      placed,
    });
    const chosen = result.decisions.slice(0, placed).map((d) => d.chosen!);
    const decided = {
      id,
      requestedBy,
      dryRun: options.dryRun,
      outcome,
      request: stored,
      explanation,
      hostIds: chosen.map((c) => c.host.id),
      groupName: plan.demand.group,
    };

    const reservation =
      options.dryRun || placed === 0
        ? null
        : this.index.reserve(
            chosen.map((c) => c.index),
            demand,
          );
    let written: PlacementWritten;
    try {
      written = await this.writer.submit({
        placement: decided,
        commands: (reservation?.hostIds ?? []).map((hostId, i) =>
          this.commands.hostPlan(hostId, 'container.create', plan.params[i]!, options.request),
        ),
        audit: options.audit?.(placementStatus(outcome, decided.hostIds.length)) ?? null,
      });
    } catch (err) {
      reservation?.abort();
      throw err;
    }
    reservation?.commit(written.commands.map((c) => c.id));
    const { row, commands: created } = written;
    const summary = (row.explanation as { summary: string }).summary;
    // Every decision is stored and audited; a log line each (a synchronous write when stdout is a
    // pipe) would cost more than the decision, so it is at debug level.
    this.logger.debug(`placement ${id}${options.dryRun ? ' (dry run)' : ''}: ${summary}`);
    // Sent once the decision is committed; an agent that answers at once finds its command.
    const commands = await Promise.all(created.map((c) => this.commands.deliver(c, options.request.wait)));
    return { outcome, placement: toPlacementDto(row, commands) };
  }

  async get(id: string): Promise<PlacementDto> {
    const row = await this.placements.findById(id);
    if (!row) throw new NotFoundError(`no placement with id ${id}`);
    return this.withCommands(row);
  }

  async list(query: PlacementListQuery): Promise<Page<PlacementSummaryDto>> {
    const { limit, cursor, ...filters } = query;
    const rows = await this.placements.list(filters, limit + 1, cursor);
    return toPage(rows, limit, (row) => ({ key: row.createdAt.toISOString(), id: row.id }), toPlacementSummaryDto);
  }

  private async withCommands(row: PlacementRow): Promise<PlacementDto> {
    const commands = row.commandIds.length > 0 ? await this.placements.commands(row.commandIds) : [];
    return toPlacementDto(row, commands.map(toCommandDto));
  }
}
