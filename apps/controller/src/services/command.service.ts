import { randomUUID } from 'node:crypto';
import {
  CONTROLLER_ONLY_PARAMS,
  type CommandOp,
  type CommandTarget,
  isUuid,
  parseCommandParams,
  type RuntimeName,
  type RuntimeStatus,
  runtimeOfCommand,
  targetKindOf,
} from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import {
  type CommandDto,
  type CommandListQuery,
  type CommandSummaryDto,
  DEFAULT_DEADLINE_SECONDS,
} from '../dtos/command.dto.js';
import { type Page, toPage } from '../dtos/pagination.dto.js';
import type { NewAuditEntry } from '../repositories/audit.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import {
  CommandRepository,
  type CommandRow,
  DuplicateIdempotencyKeyError,
  type NewCommand,
  type TargetRow,
  type TargetRowKind,
} from '../repositories/command.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { CommandDispatchService } from './command-dispatch.service.js';
import { CommandLifecycle } from './command-lifecycle.js';
import { CommandNotifier, type CommandWatch } from './command-notifier.js';
import { toCommandDto, toCommandSummaryDto } from './command-response.mapper.js';
import { hostRuntimeRefusal, requestHash, runtimeRefusal, unknownParamKey } from './command-rules.js';
import { isFinal } from './command-states.js';
import { CreatePolicyService } from './create-policy.service.js';
import { BadRequestError, ConflictError, NotFoundError, UnprocessableError } from './errors.js';
import { ResourceResolver } from './resource-resolver.js';

// What a command acts on, as the API names it: a host or an inventory row, by Corral id or by
// anything ResourceResolver understands (hostname, name, engine id or a prefix of it).
export type CommandSubject = { kind: 'host'; id: string } | { kind: TargetRowKind; id: string };

// The request-level options every command-issuing route takes.
export interface CommandRequest {
  wait: number;
  deadlineSeconds: number | null;
  idempotencyKey: string | null;
  requestedBy: string | null;
  // The API request's audit entry, written with the command when it is made (`written` is told
  // then); a request that makes none (a retry, a refusal) is recorded by the audit interceptor.
  audit?: { entry: (commandId: string) => NewAuditEntry; written: () => void };
}

export interface CommandOutcome {
  command: CommandDto;
  // false when an Idempotency-Key retry returned the command made the first time.
  created: boolean;
}

// A validated request, ready to insert.
export interface CommandPlan {
  hostId: string;
  op: CommandOp;
  target: CommandTarget;
  targetId: string | null;
  params: Record<string, unknown>;
  // The replica holding the host's agent while the host is online (null otherwise, or not known).
  holder: string | null;
  // Fingerprint of the request, for telling an Idempotency-Key retry from a reuse; only with a key.
  hash: string | null;
  request: CommandRequest;
}

// How long the agent gets to confirm a cancel before the sweeper ends the command as canceled.
export const CANCEL_GRACE_MS = 30_000;

@Injectable()
export class CommandService {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: CommandRepository,
    private readonly dispatcher: CommandDispatchService,
    private readonly notifier: CommandNotifier,
    private readonly lifecycle: CommandLifecycle,
    private readonly resolver: ResourceResolver,
    private readonly createPolicy: CreatePolicyService,
  ) {}

  async submit(
    subject: CommandSubject,
    op: CommandOp,
    params: Record<string, unknown>,
    request: CommandRequest,
  ): Promise<CommandOutcome> {
    const prepared = await this.prepare(subject, op, params, request);
    if ('existing' in prepared) return this.respond(prepared.existing, false, request.wait);
    return this.commit(prepared.plan);
  }

  // Validates everything that does not need the command row: params (400), an Idempotency-Key
  // seen before (the earlier command, or 422 for another request), subject (404), feasibility (422).
  // `identity` replaces the params in the idempotency fingerprint when they hold server-made ids.
  async prepare(
    subject: CommandSubject,
    op: CommandOp,
    params: Record<string, unknown>,
    request: CommandRequest,
    identity?: Record<string, unknown>,
  ): Promise<{ existing: CommandRow } | { plan: CommandPlan }> {
    if (targetKindOf(op) !== subject.kind) throw new Error(`${op} does not act on a ${subject.kind}`);
    const controllerOnly = CONTROLLER_ONLY_PARAMS.find((key) => key in params);
    if (controllerOnly) {
      throw new BadRequestError(
        `params.${controllerOnly}: set by the controller from the registries (/api/v1/registries), never by a request`,
        `params.${controllerOnly}`,
      );
    }
    const unknown = unknownParamKey(op, params);
    if (unknown) throw new BadRequestError(`params.${unknown}: unknown parameter for ${op}`, `params.${unknown}`);
    const parsed = parseCommandParams(op, params);
    if (!parsed.ok) throw new BadRequestError(parsed.message, parsed.field ? `params.${parsed.field}` : 'params');
    const hash = request.idempotencyKey ? requestHash({ op, subject, params: identity ?? parsed.params }) : null;
    if (request.idempotencyKey) {
      const existing = await this.repo.findByIdempotencyKey(request.idempotencyKey);
      if (existing) return { existing: this.sameRequest(existing, hash!) };
    }
    const resolved = await this.resolve(subject, op, parsed.params as Record<string, unknown>);
    await this.createPolicy.check(resolved.hostId, op, resolved.params, request.requestedBy);
    return { plan: { ...resolved, op, hash, request } };
  }

  async commit(plan: CommandPlan, params: Record<string, unknown> = plan.params): Promise<CommandOutcome> {
    // Watched before it is written: a command sent through another replica can end there before
    // this insert's answer is read here.
    const id = randomUUID();
    const watch = plan.request.wait > 0 ? this.notifier.watch(id, plan.request.wait * 1000) : null;
    try {
      let row: CommandRow;
      try {
        // For a host with a live session the command is written as sent, and its frame goes out next.
        const command = { ...this.newCommand(plan, params), id };
        const route = this.dispatcher.routeFor(command, plan.holder);
        const audit = plan.request.audit;
        row = await this.lifecycle.create(command, route.sendNow, undefined, route.note, audit?.entry);
        audit?.written();
      } catch (err) {
        // Two requests with one key at once: the other one won; answer with its command.
        if (!(err instanceof DuplicateIdempotencyKeyError) || !plan.request.idempotencyKey) throw err;
        const existing = await this.repo.findByIdempotencyKey(plan.request.idempotencyKey);
        if (!existing) throw err;
        return this.respond(this.sameRequest(existing, plan.hash!), false, plan.request.wait);
      }
      return { command: await this.sendAndWait(row, watch), created: true };
    } finally {
      watch?.stop();
    }
  }

  // A command on a host whose params the caller has validated (defaults applied), to be written
  // as one of pendingRows() by the caller and sent with deliver once that has committed.
  hostPlan(hostId: string, op: CommandOp, params: Record<string, unknown>, request: CommandRequest): CommandPlan {
    const hash = request.idempotencyKey ? requestHash({ op, subject: { kind: 'host', id: hostId }, params }) : null;
    return { hostId, op, target: { kind: 'host' }, targetId: null, params, holder: null, hash, request };
  }

  // The rows of planned commands, pending, for a caller that writes them with its own rows
  // (insertCommandsFrom); announce each with deliver() once they are committed.
  pendingRows(plans: readonly CommandPlan[]): (NewCommand & { id: string })[] {
    return plans.map((plan) => ({
      ...this.newCommand(plan, plan.params),
      id: randomUUID(),
      status: 'pending' as const,
      sentAt: null,
    }));
  }

  async deliver(row: CommandRow, wait: number): Promise<CommandDto> {
    this.lifecycle.announce(row);
    const watch = wait > 0 ? this.notifier.watch(row.id, wait * 1000) : null;
    try {
      return await this.sendAndWait(row, watch);
    } finally {
      watch?.stop();
    }
  }

  // Sends a command just written and waits for it to end while `watch` lasts. It is watched
  // before it is sent, so its end is seen without reading it back.
  private async sendAndWait(row: CommandRow, watch: CommandWatch | null): Promise<CommandDto> {
    const sent = await this.dispatcher.dispatch(row);
    if (!watch || isFinal(sent.status)) return toCommandDto(sent);
    return toCommandDto((await watch.ended) ?? (await this.repo.findById(row.id)) ?? sent);
  }

  private newCommand(plan: CommandPlan, params: Record<string, unknown>): Omit<NewCommand, 'status' | 'sentAt'> {
    const now = this.clock.now();
    const deadlineSeconds = plan.request.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;
    return {
      hostId: plan.hostId,
      op: plan.op,
      target: plan.target,
      targetKind: plan.target.kind,
      targetId: plan.targetId,
      params: params as CommandRow['params'] & object,
      requestedBy: plan.request.requestedBy,
      idempotencyKey: plan.request.idempotencyKey,
      requestHash: plan.hash,
      createdAt: now,
      deadline: new Date(now.getTime() + deadlineSeconds * 1000),
    };
  }

  async get(id: string, wait: number): Promise<CommandDto> {
    const row = await this.notifier.waitUntilFinal(id, wait * 1000, () => this.repo.findById(id));
    if (!row) throw new NotFoundError(`no command with id ${id}`);
    return toCommandDto(row);
  }

  async list(query: CommandListQuery): Promise<Page<CommandSummaryDto>> {
    const { limit, cursor, ...filters } = query;
    const rows = await this.repo.list(filters, limit + 1, cursor);
    return toPage(rows, limit, (row) => ({ key: row.createdAt.toISOString(), id: row.id }), toCommandSummaryDto);
  }

  // Pending: canceled at once. Sent or running: command.cancel goes to the agent, whose result
  // (canceled, or succeeded when it finished first) ends it; without one the sweeper ends it as
  // canceled CANCEL_GRACE_MS later. Final: 409.
  async cancel(id: string, wait: number): Promise<CommandOutcome> {
    const row = await this.repo.findById(id);
    if (!row) throw new NotFoundError(`no command with id ${id}`);
    if (isFinal(row.status)) throw new ConflictError(`command ${id} already ended as ${row.status}`);
    if (row.status === 'pending') {
      const canceled = await this.lifecycle.cancel(id);
      if (canceled) return this.respond(canceled, true, 0);
    }
    const graceEnd = new Date(this.clock.now().getTime() + CANCEL_GRACE_MS);
    const requested = row.cancelRequestedAt ? row : await this.lifecycle.requestCancel(row, graceEnd);
    if (!requested) {
      // It moved on meanwhile (sent, or ended); look again.
      const current = await this.repo.findById(id);
      if (current && isFinal(current.status))
        throw new ConflictError(`command ${id} already ended as ${current.status}`);
      return this.cancel(id, wait);
    }
    this.dispatcher.sendCancel(requested);
    return this.respond(requested, true, wait);
  }

  private sameRequest(existing: CommandRow, hash: string): CommandRow {
    if (existing.requestHash !== hash) {
      throw new UnprocessableError(
        `Idempotency-Key ${existing.idempotencyKey} was used for a different request (command ${existing.id}); use a new key for a new request`,
      );
    }
    return existing;
  }

  // The command as answered: after waiting up to `wait` seconds for it to end.
  async respond(row: CommandRow, created: boolean, wait: number): Promise<CommandOutcome> {
    const final =
      wait > 0 && !isFinal(row.status)
        ? ((await this.notifier.waitUntilFinal(row.id, wait * 1000, () => this.repo.findById(row.id))) ?? row)
        : row;
    return { command: toCommandDto(final), created };
  }

  private async resolve(
    subject: CommandSubject,
    op: CommandOp,
    params: Record<string, unknown>,
  ): Promise<Pick<CommandPlan, 'hostId' | 'target' | 'targetId' | 'params' | 'holder'>> {
    if (subject.kind === 'host') {
      const host = await this.host(subject.id);
      const runtime = runtimeOfCommand(op, { kind: 'host' }, params);
      if (runtime) this.refuse(hostRuntimeRefusal(host.hostname, host.runtimes as RuntimeStatus[], runtime));
      return { hostId: host.id, target: { kind: 'host' }, targetId: null, params, holder: host.holder };
    }
    const row = await this.row(subject.kind, subject.id);
    if (row.kind === 'container') this.refuse(runtimeRefusal(row.runtime as RuntimeName, op));
    if (op === 'network.connect' || op === 'network.disconnect') {
      params = { ...params, container: await this.networkMember(row.hostId, String(params.container)) };
    }
    return { hostId: row.hostId, target: targetOf(row), targetId: row.id, params, holder: row.holder };
  }

  // network.connect takes a Corral container id (same host, docker) or a Docker container id or name.
  private async networkMember(hostId: string, container: string): Promise<string> {
    if (!isUuid(container)) return container;
    const row = await this.repo.findTargetRow('container', container);
    if (row?.kind !== 'container') throw new NotFoundError(`no container with id ${container}`);
    if (row.hostId !== hostId)
      throw new UnprocessableError(`container ${container} is on another host than the network`);
    if (row.runtime !== 'docker') throw new UnprocessableError(`${row.runtime} containers cannot join docker networks`);
    return row.engineId;
  }

  // A Corral id is read at once (one query); anything else, or a UUID-shaped name, goes through
  // the resolver first.
  private async host(ref: string) {
    const direct = isUuid(ref) ? await this.repo.findHost(ref.toLowerCase()) : null;
    if (direct) return direct;
    const id = await this.resolver.resolveId('host', ref);
    const host = await this.repo.findHost(id);
    if (!host) throw new NotFoundError(`no host with id ${id}`);
    return host;
  }

  private async row(kind: TargetRowKind, ref: string): Promise<TargetRow> {
    const direct = isUuid(ref) ? await this.repo.findTargetRow(kind, ref.toLowerCase()) : null;
    if (direct) return direct;
    const id = await this.resolver.resolveId(kind, ref);
    const row = await this.repo.findTargetRow(kind, id);
    if (!row) throw new NotFoundError(`no ${kind} with id ${id}`);
    return row;
  }

  private refuse(message: string | null): void {
    if (message) throw new UnprocessableError(message);
  }
}

// The protocol target of an inventory row: the engine's own ids.
export function targetOf(row: TargetRow): CommandTarget {
  switch (row.kind) {
    case 'container':
      return { kind: 'container', runtime: row.runtime as RuntimeName, id: row.engineId, lxcPath: row.lxcPath };
    case 'image':
      return { kind: 'image', id: row.engineId };
    case 'volume':
      return { kind: 'volume', name: row.name };
    case 'network':
      return { kind: 'network', id: row.engineId };
  }
}
