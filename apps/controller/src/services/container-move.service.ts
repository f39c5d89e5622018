import type { CommandOp } from '@corral/protocol';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CommandDto } from '../dtos/command.dto.js';
import type { ContainerCopyBody, ContainerMoveBody } from '../dtos/container-move.dto.js';
import type { Clock } from '../repositories/clock.repository.js';
import { ContainerMoveRepository, type MoveContainerRow } from '../repositories/container-move.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { type CommandRequest, CommandService, type CommandSubject } from './command.service.js';
import { isFinal } from './command-states.js';
import { CreatePolicyService } from './create-policy.service.js';
import { BadGatewayError, ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from './errors.js';
import { ImageCopyService } from './image-copy.service.js';
import { ImageTransferService } from './image-transfer.service.js';
import { type Principal, requestedByOf } from './principal.js';
import { ResourceResolver } from './resource-resolver.js';
import { SchedulerIndexService } from './scheduler-index.service.js';

// How long one step (stop, the restore with its transfer, start, remove) may take.
const STEP_DEADLINE_SECONDS = 1800;
// The longest single wait on a command (CommandService.get caps its own wait).
const WAIT_SLICE_SECONDS = 60;

export interface MoveStep {
  op: CommandOp;
  hostId: string;
  commandId: string;
  status: string;
  error: string | null;
}

// One container of a drain with move=true: where it went, or why it stayed.
export interface DrainMove {
  containerId: string;
  name: string;
  runtime: string;
  outcome: 'moved' | 'failed' | 'unplaced';
  toHostId: string | null;
  toHostname: string | null;
  error: string | null;
  move: MoveOutcome | null;
}

export interface MoveOutcome {
  mode: 'copy' | 'move';
  runtime: string;
  source: { containerId: string; hostId: string; hostname: string; name: string; kept: boolean; state: string };
  target: {
    containerId: string | null;
    hostId: string;
    hostname: string;
    name: string;
    state: string;
    hwaddrs: string[];
  };
  bridge: string | null;
  bytes: number | null;
  steps: MoveStep[];
  warnings: string[];
}

// Copies and moves containers between hosts. LXC: stop the source (its file system must be still),
// stream its directory through the image transfer relay (container.archive on the source, read by
// container.restore on the target), start it there, then remove the source (move) or restart it
// (copy). Until the target runs nothing on the source is changed but its state; any failure puts
// that back, and the restore leaves nothing on the target.
@Injectable()
export class ContainerMoveService {
  private readonly logger = new Logger(ContainerMoveService.name);

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly commands: CommandService,
    private readonly transfers: ImageTransferService,
    private readonly repo: ContainerMoveRepository,
    private readonly resolver: ResourceResolver,
    private readonly policy: CreatePolicyService,
    private readonly images: ImageCopyService,
    private readonly index: SchedulerIndexService,
  ) {}

  copy(ref: string, body: ContainerCopyBody, principal: Principal | undefined): Promise<MoveOutcome> {
    return this.transfer('copy', ref, body.toHost, body.name ?? null, principal);
  }

  move(ref: string, body: ContainerMoveBody, principal: Principal | undefined): Promise<MoveOutcome> {
    return this.transfer('move', ref, body.toHost, null, principal);
  }

  // Moves each container off a (cordoned) host, one at a time, each to the host placement chooses
  // for its runtime, memory limit and group; every container gets its own result.
  async drain(
    containers: readonly { id: string; name: string; runtime: string; group: string | null }[],
    principal: Principal | undefined,
  ): Promise<DrainMove[]> {
    const results: DrainMove[] = [];
    for (const c of containers) {
      const base = { containerId: c.id, name: c.name, runtime: c.runtime };
      const runtime = c.runtime === 'lxc' ? 'lxc' : 'docker';
      const live = await this.index.settled(c.group);
      const row = await this.repo.container(c.id);
      // A dry decision on the kept index: the move's own create reserves nothing there.
      const decision = live.schedule(
        {
          runtime,
          memoryBytes: Number(row?.memoryBytes ?? 0),
          cpus: 0,
          constraints: [],
          hostIds: null,
          group: c.group,
        },
        { strategy: 'spread', replicas: 1 },
      ).decisions[0];
      const chosen = decision?.chosen?.host;
      if (!chosen) {
        results.push({
          ...base,
          outcome: 'unplaced',
          toHostId: null,
          toHostname: null,
          error: `no host can take it: ${decision?.feasible ?? 0} of ${decision?.inScope ?? 0} hosts feasible`,
          move: null,
        });
        continue;
      }
      try {
        const move = await this.transfer('move', c.id, chosen.id, null, principal);
        results.push({
          ...base,
          outcome: 'moved',
          toHostId: chosen.id,
          toHostname: chosen.hostname,
          error: null,
          move,
        });
      } catch (err) {
        results.push({
          ...base,
          outcome: 'failed',
          toHostId: chosen.id,
          toHostname: chosen.hostname,
          error: (err as Error).message,
          move: null,
        });
      }
    }
    return results;
  }

  private async transfer(
    mode: 'copy' | 'move',
    ref: string,
    toHost: string,
    newName: string | null,
    principal: Principal | undefined,
  ): Promise<MoveOutcome> {
    const found = await this.resolver.resolve('container', ref, 'id');
    const source = await this.repo.container(found.id);
    if (!source) throw new NotFoundError(`no container is named or has the id "${ref}"`);
    const target = await this.resolver.resolve('host', toHost, 'toHost');
    if (target.id === source.hostId) {
      throw new UnprocessableError(`${source.name} is already on ${target.name}: name another host in toHost`);
    }
    if (source.runtime === 'docker' && mode === 'copy') {
      throw new UnprocessableError('Docker containers are moved, not copied: commit it and copy the image instead');
    }
    const name = newName ?? source.name;
    if (await this.repo.nameTaken(target.id, name)) {
      throw new ConflictError(`${target.name} already has a container named ${name}`);
    }
    const to = { id: target.id, hostname: target.name };
    if (source.runtime === 'docker') return this.docker(source, to, principal);
    return this.lxc(mode, source, to, name, requestedByOf(principal));
  }

  private async lxc(
    mode: 'copy' | 'move',
    source: MoveContainerRow,
    target: { id: string; hostname: string },
    name: string,
    requestedBy: string | null,
  ): Promise<MoveOutcome> {
    const request: CommandRequest = {
      wait: 0,
      deadlineSeconds: STEP_DEADLINE_SECONDS,
      idempotencyKey: null,
      requestedBy,
    };
    const bridge = await this.bridgeOn(target, source);
    const grants = (await this.policy.effective(target.id)).grants;
    const params = {
      uploadId: 'transfer',
      name,
      sourceName: source.name,
      fromHostId: source.hostId,
      lxcPath: null,
      bridge,
      start: true,
      policyGrants: grants,
    };
    // Checked (params, target host online with LXC) before anything changes on the source.
    const prepared = await this.commands.prepare({ kind: 'host', id: target.id }, 'container.restore', params, request);
    if ('existing' in prepared) throw new Error('a restore takes no Idempotency-Key');

    const steps: MoveStep[] = [];
    const warnings: string[] = [];
    const sourceSubject: CommandSubject = { kind: 'container', id: source.id };
    const wasRunning = source.state === 'running';
    if (wasRunning) {
      const stop = await this.run(sourceSubject, 'container.stop', {}, request, steps);
      if (stop.status !== 'succeeded') {
        throw new BadGatewayError(`stopping ${source.name} on ${source.hostname} failed: ${describe(stop)}`);
      }
    } else if (source.state !== 'stopped') {
      throw new ConflictError(`${source.name} is ${source.state}; a container is copied when running or stopped`);
    }

    const transferId = this.transfers.open(
      {
        id: source.id,
        hostId: source.hostId,
        engineId: source.engineId,
        producer: { kind: 'container', op: 'container.archive' },
      },
      requestedBy,
      new Date(this.clock.now().getTime() + STEP_DEADLINE_SECONDS * 1000),
    );
    let restore: CommandDto;
    try {
      await this.transfers.claimed(transferId);
      const outcome = await this.commands.commit(prepared.plan, { ...prepared.plan.params, uploadId: transferId });
      restore = await this.untilFinal(outcome.command);
      steps.push(step(restore, 'container.restore', target.id));
    } finally {
      this.transfers.drop(transferId);
    }

    if (restore.status !== 'succeeded') {
      // The restore removed what it had made; the source gets its state back.
      if (wasRunning) await this.restart(source, sourceSubject, request, steps, warnings);
      const why = `${mode} of ${source.name} to ${target.hostname} failed, the source is left as it was: ${describe(restore)}`;
      if (restore.error?.code === 'forbidden') throw new ForbiddenError(why);
      if (restore.error?.code === 'conflict') throw new ConflictError(why);
      throw new BadGatewayError(why);
    }
    const result = (restore.result ?? {}) as Record<string, unknown>;

    let kept = true;
    let sourceState = 'stopped';
    if (mode === 'move') {
      const removed = await this.run(sourceSubject, 'container.remove', { force: false }, request, steps);
      if (removed.status === 'succeeded') {
        kept = false;
        sourceState = 'removed';
      } else {
        warnings.push(
          `the container runs on ${target.hostname}, but removing it from ${source.hostname} failed: ${describe(removed)}`,
        );
      }
    } else if (wasRunning) {
      sourceState = (await this.restart(source, sourceSubject, request, steps, warnings)) ? 'running' : 'stopped';
    }
    this.logger.log(`${mode} of ${source.name} from ${source.hostname} to ${target.hostname} done`);
    return {
      mode,
      runtime: 'lxc',
      source: {
        containerId: source.id,
        hostId: source.hostId,
        hostname: source.hostname,
        name: source.name,
        kept,
        state: sourceState,
      },
      target: {
        containerId: typeof result.containerId === 'string' ? result.containerId : null,
        hostId: target.id,
        hostname: target.hostname,
        name,
        state: String(result.state ?? 'unknown').toLowerCase(),
        hwaddrs: Array.isArray(result.hwaddrs) ? result.hwaddrs.map(String) : [],
      },
      bridge,
      bytes: typeof result.bytes === 'number' ? result.bytes : null,
      steps,
      warnings,
    };
  }

  // Docker: the container's spec from its engine, its image copied to the target unless there, its
  // named volumes' contents each restored into a new volume of the same name, then the container made
  // again with the same spec and started; the source is removed once that runs. A failure removes what
  // the target got and starts the source again if it ran.
  private async docker(
    source: MoveContainerRow,
    target: { id: string; hostname: string },
    principal: Principal | undefined,
  ): Promise<MoveOutcome> {
    const requestedBy = requestedByOf(principal);
    const request: CommandRequest = {
      wait: 0,
      deadlineSeconds: STEP_DEADLINE_SECONDS,
      idempotencyKey: null,
      requestedBy,
    };
    const steps: MoveStep[] = [];
    const warnings: string[] = [];
    const sourceSubject: CommandSubject = { kind: 'container', id: source.id };
    if (!['running', 'exited', 'created'].includes(source.state)) {
      throw new ConflictError(`${source.name} is ${source.state}; a container is moved when running or stopped`);
    }
    const read = await this.run(sourceSubject, 'container.spec', {}, request, steps);
    if (read.status !== 'succeeded')
      throw new BadGatewayError(`reading ${source.name}'s config failed: ${describe(read)}`);
    const found = read.result as { spec: Record<string, unknown>; imageId: string; volumes: string[]; binds: string[] };
    if (found.binds.length > 0) {
      throw new UnprocessableError(
        `${source.name} bind-mounts host paths (${found.binds.join(', ')}): only data in named volumes moves with it`,
      );
    }
    // The create is checked (params, create policy, target online with Docker) before anything changes.
    const prepared = await this.commands.prepare(
      { kind: 'host', id: target.id },
      'container.create',
      found.spec,
      request,
    );
    if ('existing' in prepared) throw new Error('a move takes no Idempotency-Key');

    if (!(await this.repo.imageOn(target.id, found.imageId))) {
      const imageRow = await this.repo.imageOn(source.hostId, found.imageId);
      if (!imageRow)
        throw new UnprocessableError(`the image of ${source.name} is not in the inventory of ${source.hostname}`);
      const copied = await this.images.copy(imageRow, { toHosts: [target.id] }, principal);
      const ended = await this.untilFinal(copied.copies[0]!.command as CommandDto);
      steps.push(step(ended, 'image.copy', target.id));
      if (ended.status !== 'succeeded')
        throw new BadGatewayError(`copying the image to ${target.hostname} failed: ${describe(ended)}`);
    }

    const wasRunning = source.state === 'running';
    if (wasRunning) {
      const stop = await this.run(sourceSubject, 'container.stop', {}, request, steps);
      if (stop.status !== 'succeeded') throw new BadGatewayError(`stopping ${source.name} failed: ${describe(stop)}`);
    }
    const restored: string[] = [];
    let bytes = 0;
    const fail = async (why: string, command: CommandDto | null): Promise<never> => {
      await this.undoDocker(target, restored, String(found.spec.name), command !== null, request, steps, warnings);
      if (wasRunning) await this.restart(source, sourceSubject, request, steps, warnings);
      const message = `move of ${source.name} to ${target.hostname} failed, the source is left as it was: ${why}`;
      if (command?.error?.code === 'forbidden') throw new ForbiddenError(message);
      if (command?.error?.code === 'conflict') throw new ConflictError(message);
      throw new BadGatewayError(message);
    };
    for (const volume of found.volumes) {
      const row = await this.resolver.resolve('volume', `${source.hostId}/${volume}`, 'volume');
      const transferId = this.transfers.open(
        { id: row.id, hostId: source.hostId, engineId: volume, producer: { kind: 'volume', op: 'volume.archive' } },
        requestedBy,
        new Date(this.clock.now().getTime() + STEP_DEADLINE_SECONDS * 1000),
      );
      let ended: CommandDto;
      try {
        await this.transfers.claimed(transferId);
        const outcome = await this.commands.submit(
          { kind: 'host', id: target.id },
          'volume.restore',
          { uploadId: transferId, name: volume },
          request,
        );
        ended = await this.untilFinal(outcome.command);
        steps.push(step(ended, 'volume.restore', target.id));
      } finally {
        this.transfers.drop(transferId);
      }
      if (ended.status !== 'succeeded') await fail(`volume ${volume}: ${describe(ended)}`, ended);
      restored.push(volume);
      bytes += Number((ended.result as { bytes?: number } | null)?.bytes ?? 0);
    }
    const createdOutcome = await this.commands.commit(prepared.plan);
    const created = await this.untilFinal(createdOutcome.command);
    steps.push(step(created, 'container.create', target.id));
    if (created.status !== 'succeeded') await fail(describe(created), created);

    let kept = true;
    let sourceState = wasRunning ? 'stopped' : source.state;
    const removed = await this.run(sourceSubject, 'container.remove', { force: false }, request, steps);
    if (removed.status === 'succeeded') {
      kept = false;
      sourceState = 'removed';
    } else {
      warnings.push(
        `the container runs on ${target.hostname}, but removing it from ${source.hostname} failed: ${describe(removed)}`,
      );
    }
    if (found.volumes.length > 0) {
      warnings.push(
        `the volumes ${found.volumes.join(', ')} are kept on ${source.hostname}; remove them once the move is checked`,
      );
    }
    const result = (created.result ?? {}) as Record<string, unknown>;
    return {
      mode: 'move',
      runtime: 'docker',
      source: {
        containerId: source.id,
        hostId: source.hostId,
        hostname: source.hostname,
        name: source.name,
        kept,
        state: sourceState,
      },
      target: {
        containerId: typeof result.containerId === 'string' ? result.containerId : null,
        hostId: target.id,
        hostname: target.hostname,
        name: String(found.spec.name),
        state: 'running',
        hwaddrs: [],
      },
      bridge: null,
      bytes,
      steps,
      warnings,
    };
  }

  // What a failed Docker move made on the target: the container (when its create ran) and the volumes.
  private async undoDocker(
    target: { id: string; hostname: string },
    volumes: string[],
    name: string,
    created: boolean,
    request: CommandRequest,
    steps: MoveStep[],
    warnings: string[],
  ): Promise<void> {
    if (created) {
      const row = await this.resolver.resolve('container', `${target.id}/${name}`).catch(() => null);
      if (row) await this.run({ kind: 'container', id: row.id }, 'container.remove', { force: true }, request, steps);
    }
    for (const volume of volumes) {
      const row = await this.resolver.resolve('volume', `${target.id}/${volume}`).catch(() => null);
      const ended = row
        ? await this.run({ kind: 'volume', id: row.id }, 'volume.remove', { force: false }, request, steps)
        : null;
      if (ended?.status !== 'succeeded') warnings.push(`volume ${volume} could not be removed from ${target.hostname}`);
    }
  }

  // The bridge the copy is linked to on the target: the one of the source's name if the target has
  // it, else the one the target's dnsmasq serves (most leases).
  private async bridgeOn(target: { id: string; hostname: string }, source: MoveContainerRow): Promise<string> {
    const bridges = await this.repo.bridges(target.id);
    const networks = Array.isArray(source.networks) ? (source.networks as { bridge?: string | null }[]) : [];
    const wanted = networks.map((n) => n.bridge).find((b): b is string => typeof b === 'string' && b.length > 0);
    if (wanted && bridges.some((b) => b.name === wanted)) return wanted;
    const served = bridges.find((b) => b.leases > 0);
    if (served) return served.name;
    if (bridges.length === 1) return bridges[0]!.name;
    throw new UnprocessableError(
      `${target.hostname} has no bridge ${wanted ?? ''} and none its dnsmasq serves: the container would have no network there`.replace(
        '  ',
        ' ',
      ),
    );
  }

  private async restart(
    source: MoveContainerRow,
    subject: CommandSubject,
    request: CommandRequest,
    steps: MoveStep[],
    warnings: string[],
  ): Promise<boolean> {
    const start = await this.run(subject, 'container.start', {}, request, steps);
    if (start.status === 'succeeded') return true;
    warnings.push(`starting ${source.name} on ${source.hostname} again failed: ${describe(start)}`);
    return false;
  }

  private async run(
    subject: CommandSubject,
    op: CommandOp,
    params: Record<string, unknown>,
    request: CommandRequest,
    steps: MoveStep[],
  ): Promise<CommandDto> {
    const outcome = await this.commands.submit(subject, op, params, request);
    const ended = await this.untilFinal(outcome.command);
    steps.push(step(ended, op, ended.hostId));
    return ended;
  }

  private async untilFinal(command: CommandDto): Promise<CommandDto> {
    let current = command;
    while (!isFinal(current.status)) current = await this.commands.get(current.id, WAIT_SLICE_SECONDS);
    return current;
  }
}

function step(command: CommandDto, op: CommandOp, hostId: string): MoveStep {
  return {
    op,
    hostId,
    commandId: command.id,
    status: command.status,
    error: command.error ? `${command.error.code}: ${command.error.message}` : null,
  };
}

function describe(command: CommandDto): string {
  return command.error?.message ?? `the command ended as ${command.status}`;
}
