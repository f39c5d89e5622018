import { randomUUID } from 'node:crypto';
import type { RuntimeName, RuntimeStatus } from '@corral/protocol';
import { Injectable, Logger } from '@nestjs/common';
import { type Page, toPage } from '../dtos/pagination.dto.js';
import type { PlacementDto, PlacementListQuery, PlacementRequest, PlacementSummaryDto } from '../dtos/placement.dto.js';
import { type CommandRow } from '../repositories/command.repository.js';
import { PlacementRepository, type PlacementRow } from '../repositories/placement.repository.js';
import { type HostCapacityRow, SchedulingRepository } from '../repositories/scheduling.repository.js';
import { type CommandRequest, CommandService } from './command.service.js';
import { toCommandDto } from './command-response.mapper.js';
import { CreatePolicyService, withPolicyRefusal } from './create-policy.service.js';
import { BadRequestError, NotFoundError } from './errors.js';
import { effectiveLabels } from './host-labels.js';
import { planPlacement } from './placement-plan.js';
import { toPlacementDto, toPlacementSummaryDto } from './placement-response.mapper.js';
import { explain, type PlacementOutcome } from './scheduler/explanation.js';
import { schedule } from './scheduler/schedule.js';
import type { RuntimeAvailability, SchedulingHost } from './scheduler/scheduler.types.js';

export interface PlacementOptions {
  dryRun: boolean;
  // wait, deadline and who asked, as for any command route.
  request: CommandRequest;
}

export interface PlacementResult {
  outcome: PlacementOutcome;
  placement: PlacementDto;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toSchedulingHost(row: HostCapacityRow): SchedulingHost {
  const runtimes: Partial<Record<RuntimeName, RuntimeAvailability>> = {};
  for (const r of (row.runtimes ?? []) as RuntimeStatus[])
    runtimes[r.name] = { available: r.available, reason: r.reason };
  return {
    id: row.id,
    hostname: row.hostname,
    online: row.status === 'online',
    cordoned: row.cordoned,
    cordonReason: row.cordonReason,
    runtimes,
    labels: effectiveLabels(row),
    memoryBytes: row.memoryBytes,
    cpus: row.cpus,
    memoryUsedBytes: row.memoryUsedBytes,
    cpusUsed: row.cpusUsed,
    containers: row.containers,
    groupContainers: row.groupContainers,
    placedHere: 0,
  };
}

// `hosts` of a request, by id or hostname (case-insensitive), to host ids; 400 for one that names no host.
export function resolveHosts(rows: readonly { id: string; hostname: string }[], wanted: string[]): Set<string> {
  const ids = new Set<string>();
  for (const w of wanted) {
    const matches = UUID.test(w)
      ? rows.filter((r) => r.id === w.toLowerCase())
      : rows.filter((r) => r.hostname.toLowerCase() === w.toLowerCase());
    if (matches.length === 0) throw new BadRequestError(`hosts: no host has the name or id "${w}"`, 'hosts');
    for (const m of matches) ids.add(m.id);
  }
  return ids;
}

// Chooses hosts for containers and creates them there. Decision and command rows are written in
// one transaction under the scheduler lock, so concurrent placements see each other's reservations.
@Injectable()
export class PlacementService {
  private readonly logger = new Logger(PlacementService.name);

  constructor(
    private readonly scheduling: SchedulingRepository,
    private readonly placements: PlacementRepository,
    private readonly commands: CommandService,
    private readonly createPolicy: CreatePolicyService,
  ) {}

  async place(request: PlacementRequest, options: PlacementOptions): Promise<PlacementResult> {
    const id = randomUUID();
    const plan = planPlacement(request, id);
    const { deadlineSeconds: _, ...stored } = request;
    const { row, created } = await this.scheduling.decide(async (tx) => {
      const rows = await this.scheduling.hostCapacities(tx, plan.demand.group);
      const demand = { ...plan.demand, hostIds: request.hosts ? resolveHosts(rows, request.hosts) : null };
      // Hosts whose create policy refuses the spec are turned down with the rule as the reason.
      const refused = await this.createPolicy.refusals(
        rows.map((r) => r.id),
        plan.params[0]!,
        options.request.requestedBy,
      );
      const hosts = rows.map((r) => withPolicyRefusal(toSchedulingHost(r), request.runtime, refused.get(r.id)));
      const result = schedule(hosts, demand, {
        strategy: request.strategy,
        replicas: request.replicas,
      });
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
      const hostIds = result.decisions.slice(0, placed).map((d) => d.chosen!.host.id);
      const created: CommandRow[] = [];
      if (!options.dryRun) {
        for (let i = 0; i < placed; i++) {
          const cmd = this.commands.hostPlan(hostIds[i]!, 'container.create', plan.params[i]!, options.request);
          created.push(await this.commands.insertWithin(tx, cmd));
        }
      }
      const row = await this.placements.insert(tx, {
        id,
        requestedBy: options.request.requestedBy,
        dryRun: options.dryRun,
        outcome,
        request: stored,
        explanation,
        hostIds,
        commandIds: created.map((c) => c.id),
        groupName: plan.demand.group,
      });
      return { row, created };
    });
    const outcome = row.outcome as PlacementOutcome;
    const summary = (row.explanation as { summary: string }).summary;
    if (options.dryRun) this.logger.debug(`placement ${id} (dry run): ${summary}`);
    else this.logger.log(`placement ${id}: ${summary}`);
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
