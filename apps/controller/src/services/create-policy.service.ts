import {
  type CommandOp,
  type ContainerCreateParams,
  type CreateGrants,
  CreateGrantsSchema,
  type CreateRefusal,
  checkCreate,
  mergeGrants,
  NO_GRANTS,
  parseCommandParams,
  type RuntimeName,
} from '@corral/protocol';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CHANNEL, ClusterChannel } from '../cluster/cluster-channel.js';
import type { ImagePolicyDto, ImagePolicyInput } from '../dtos/image-policy.dto.js';
import type { PolicyDto, PolicyInput } from '../dtos/policy.dto.js';
import type { Clock } from '../repositories/clock.repository.js';
import { ImageOriginRepository } from '../repositories/image-origin.repository.js';
import { DuplicateImagePolicyNameError, ImagePolicyRepository } from '../repositories/image-policy.repository.js';
import {
  DuplicatePolicyNameError,
  type PolicyHostRow,
  PolicyRepository,
  type PolicyRow,
} from '../repositories/policy.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { VolumeUseRepository } from '../repositories/volume-use.repository.js';
import { AuditService } from './audit.service.js';
import {
  ConflictError,
  ImagePolicyRefusedError,
  NotFoundError,
  PolicyRefusedError,
  VolumeGuardError,
} from './errors.js';
import { checkImage, type ImageRefusal, imageNamesOf, toImagePolicyDto } from './image-policy.js';
import { actorOfRequestedBy } from './principal.js';
import { Remembered } from './remembered.js';
import { constraintHolds } from './scheduler/labels.filter.js';
import type { Constraint, SchedulingHost } from './scheduler/scheduler.types.js';
import { type VolumeGuardConflict, volumeConflict, volumeFamily } from './volume-guard.js';

// Policies are read for every create and placement; they are kept this long. A change made through
// this controller applies at once, one made through another controller within this time.
const REMEMBER_MS = 2_000;

// A host as a create policy sees it.
export interface PolicyHost {
  id: string;
  hostname: string;
  // Selectors match agent labels only: API labels are an operator's to change, agent labels the host's.
  agentLabels: Readonly<Record<string, string>>;
  lxcTemplates: readonly string[] | null;
}

export interface EffectivePolicy {
  policies: { id: string; name: string }[];
  grants: CreateGrants;
}

export function toPolicyDto(row: PolicyRow): PolicyDto {
  return {
    id: row.id,
    name: row.name,
    selector: row.selector as PolicyDto['selector'],
    grants: CreateGrantsSchema.parse(row.grants),
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toPolicyHost(row: PolicyHostRow): PolicyHost {
  const templates = Array.isArray(row.lxcTemplates) ? row.lxcTemplates.filter((t) => typeof t === 'string') : null;
  return {
    id: row.id,
    hostname: row.hostname,
    agentLabels: (row.agentLabels ?? {}) as Record<string, string>,
    lxcTemplates: templates,
  };
}

// What the policies allow on one host together: every policy whose selector its agent labels match.
export function effectivePolicy(policies: readonly PolicyDto[], host: PolicyHost): EffectivePolicy {
  const matching = policies.filter((p) => p.selector.every((c) => constraintHolds(host.agentLabels, c as Constraint)));
  return {
    policies: matching.map((p) => ({ id: p.id, name: p.name })),
    grants: mergeGrants([NO_GRANTS, ...matching.map((p) => p.grants)]),
  };
}

// A host the create policy refuses, as the scheduler takes it: turned down by the cordon filter with
// the policy rule as its reason. Hosts an earlier or a more basic filter turns down (offline,
// cordoned, without the runtime or facts) keep that reason.
export function withPolicyRefusal(
  host: SchedulingHost,
  runtime: RuntimeName,
  refusal: string | undefined,
): SchedulingHost {
  if (!refusal || !host.online || host.cordoned) return host;
  if (host.runtimes[runtime]?.available !== true || host.memoryBytes === null) return host;
  return { ...host, cordoned: true, policyRefusal: refusal };
}

// The create params an op hands its host, where the op creates something; null for the others.
// Copy, move and the like go here as they come, so that every path that creates is checked.
function createParamsOf(op: CommandOp, params: Record<string, unknown>): ContainerCreateParams | null {
  if (op !== 'container.create') return null;
  const parsed = parseCommandParams('container.create', params);
  return parsed.ok ? parsed.params : null;
}

const conflictText = (c: VolumeGuardConflict) =>
  `volume ${c.volume} was last used by image family ${c.family} (containers ${c.containers.join(', ') || 'none recorded'}, last seen ${c.lastUsedAt.toISOString()})`;

// Admin-managed create policies, and the one check every path that creates goes through.
@Injectable()
export class CreatePolicyService {
  private readonly logger = new Logger('CreatePolicy');
  private readonly createPolicies = new Remembered(async () => (await this.repo.list()).map(toPolicyDto), REMEMBER_MS);
  private readonly imagePolicyList = new Remembered(
    async () => (await this.images.list()).map(toImagePolicyDto),
    REMEMBER_MS,
  );

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: PolicyRepository,
    private readonly audit: AuditService,
    private readonly images: ImagePolicyRepository,
    private readonly volumeUses: VolumeUseRepository,
    private readonly origins: ImageOriginRepository,
    private readonly channel: ClusterChannel,
  ) {
    // A policy changed through another replica applies here as soon as its note arrives (and
    // within REMEMBER_MS if the note is lost).
    channel.listen(CHANNEL.policies, (payload) => {
      if (payload.includes('"image"')) this.imagePolicyList.forget();
      else this.createPolicies.forget();
    });
  }

  // The check of (host, params) for every path that creates: host create, clone, placement (per host,
  // through refusals()). A refusal is audited and answers 403 naming the rule and the field.
  async check(hostId: string, op: CommandOp, params: Record<string, unknown>, requestedBy: string | null) {
    const create = createParamsOf(op, params);
    if (!create) return;
    const [row] = await this.repo.hosts([hostId]);
    if (!row) throw new NotFoundError(`no host with id ${hostId}`);
    const host = toPolicyHost(row);
    const refusal = this.refusalOn(await this.policies(), host, create);
    if (!refusal) {
      let image: ImageRefusal | null = null;
      if (create.runtime === 'docker') {
        const imagePolicies = await this.imagePolicies();
        const origins = await this.imageOrigins([host.id], create, imagePolicies);
        image = checkImage(create.image, imagePolicies, host.agentLabels, origins.get(host.id) ?? null);
      }
      if (!image) return this.guardVolumes(host, op, create, requestedBy);
      await this.recordImageRefusal(op, [{ host, refusal: image }], requestedBy);
      throw new ImagePolicyRefusedError(
        `the image policy of host ${host.hostname} refuses this (rule ${image.rule} of ${image.policy}): ${image.message}; ` +
          'an admin can change it (/api/v1/image-policies)',
        image.rule,
        `params.${image.field}`,
      );
    }
    await this.recordRefusal(op, [{ host, refusal }], requestedBy);
    throw new PolicyRefusedError(
      `the create policy of host ${host.hostname} refuses this (rule ${refusal.rule}): ${refusal.message}; ` +
        'an admin can allow it with a create policy (/api/v1/policies)',
      refusal.rule,
      `params.${refusal.field}`,
    );
  }

  // Per host id, why its policy refuses these create params ("create policy rule ...: ..."); hosts it
  // allows are absent. For placement, which turns those hosts down with this as the reason.
  async refusals(hostIds: readonly string[], params: Record<string, unknown>, requestedBy: string | null) {
    const out = new Map<string, string>();
    const create = createParamsOf('container.create', params);
    if (!create || hostIds.length === 0) return out;
    if (create.runtime === 'docker') {
      const imagePolicies = await this.imagePolicies();
      if (imagePolicies.length > 0) {
        const refusedImages: { host: PolicyHost; refusal: ImageRefusal }[] = [];
        const origins = await this.imageOrigins(hostIds, create, imagePolicies);
        for (const row of await this.repo.hosts(hostIds)) {
          const host = toPolicyHost(row);
          const refusal = checkImage(create.image, imagePolicies, host.agentLabels, origins.get(host.id) ?? null);
          if (!refusal) continue;
          refusedImages.push({ host, refusal });
          out.set(host.id, `image policy ${refusal.policy} rule ${refusal.rule}: ${refusal.message}`);
        }
        if (refusedImages.length > 0) await this.recordImageRefusal('container.create', refusedImages, requestedBy);
      }
    }
    // Grants only widen the default: a Docker spec the default allows is allowed everywhere, and
    // without named volumes the volume guard has nothing to say.
    const namedVolumes = create.runtime === 'docker' && create.mounts.some((m) => !m.source.startsWith('/'));
    if (create.runtime === 'docker' && !namedVolumes && !checkCreate(create, NO_GRANTS, { installedTemplates: null })) {
      return out;
    }
    const policies = await this.policies();
    const refused: { host: PolicyHost; refusal: CreateRefusal }[] = [];
    for (const row of await this.repo.hosts(hostIds)) {
      const host = toPolicyHost(row);
      const refusal = this.refusalOn(policies, host, create);
      if (out.has(host.id)) continue;
      if (!refusal) {
        // A host whose volume another image family used last is no place for this container.
        const forced = create.runtime === 'docker' && create.force;
        const conflict = forced ? null : (await this.volumeConflicts(host.id, create))[0];
        if (conflict) out.set(host.id, `volume guard: ${conflictText(conflict)}`);
        continue;
      }
      refused.push({ host, refusal });
      out.set(host.id, `create policy rule ${refusal.rule}: ${refusal.message}`);
    }
    if (refused.length > 0) await this.recordRefusal('container.create', refused, requestedBy);
    return out;
  }

  // The volume guard: a Docker create that mounts an existing volume another image family used last
  // answers 409 naming that family, its containers and the last use, unless `force` (then audited).
  private async guardVolumes(
    host: PolicyHost,
    op: CommandOp,
    create: ContainerCreateParams,
    requestedBy: string | null,
  ): Promise<void> {
    const conflicts = await this.volumeConflicts(host.id, create);
    if (conflicts.length === 0) return;
    const detail = {
      family: create.runtime === 'docker' ? volumeFamily(create.image, null, create.labels) : null,
      volumes: conflicts.map((c) => ({ ...c, lastUsedAt: c.lastUsedAt.toISOString() })),
    };
    const forced = create.runtime === 'docker' && create.force;
    await this.audit.record({
      actor: actorOfRequestedBy(requestedBy),
      action: `volume guard ${op}`,
      targetKind: 'host',
      targetId: host.id,
      outcome: forced ? 'forced' : 'denied',
      statusCode: forced ? 202 : 409,
      detail,
    });
    if (forced) {
      this.logger.warn(
        `volume guard overridden on ${host.hostname} by ${requestedBy ?? 'unknown'}: ${conflicts.map(conflictText).join('; ')}`,
      );
      return;
    }
    const first = conflicts[0]!;
    throw new VolumeGuardError(
      `${conflicts.map(conflictText).join('; ')}; mount it from the same image family, or send force: true to mount it anyway`,
      first,
    );
  }

  private async volumeConflicts(hostId: string, create: ContainerCreateParams): Promise<VolumeGuardConflict[]> {
    if (create.runtime !== 'docker') return [];
    const volumes = [...new Set(create.mounts.filter((m) => !m.source.startsWith('/')).map((m) => m.source))];
    if (volumes.length === 0) return [];
    const family = volumeFamily(create.image, null, create.labels);
    const uses = await this.volumeUses.ofVolumes(hostId, volumes);
    return volumes
      .map((v) =>
        volumeConflict(
          v,
          uses.filter((u) => u.volume === v),
          family,
        ),
      )
      .filter((c) => c !== null);
  }

  async effective(hostId: string): Promise<EffectivePolicy & { host: PolicyHost }> {
    const [row] = await this.repo.hosts([hostId]);
    if (!row) throw new NotFoundError(`no host with id ${hostId}`);
    const host = toPolicyHost(row);
    return { host, ...effectivePolicy(await this.policies(), host) };
  }

  async list(): Promise<{ items: PolicyDto[] }> {
    return { items: (await this.repo.list()).map(toPolicyDto) };
  }

  async get(id: string): Promise<PolicyDto> {
    const row = await this.repo.find(id);
    if (!row) throw new NotFoundError(`no create policy with id ${id}`);
    return toPolicyDto(row);
  }

  async create(input: PolicyInput, createdBy: string | null): Promise<PolicyDto> {
    const row = await this.changing(this.createPolicies, () =>
      this.named(input.name, () => this.repo.create({ ...input, createdBy }, this.clock.now())),
    );
    this.logger.log(`create policy ${row.name} (${row.id}) made by ${createdBy ?? 'unknown'}`);
    return toPolicyDto(row);
  }

  async replace(id: string, input: PolicyInput): Promise<PolicyDto> {
    const row = await this.changing(this.createPolicies, () =>
      this.named(input.name, () => this.repo.replace(id, input, this.clock.now())),
    );
    if (!row) throw new NotFoundError(`no create policy with id ${id}`);
    return toPolicyDto(row);
  }

  async remove(id: string): Promise<void> {
    const removed = await this.changing(this.createPolicies, () => this.repo.remove(id));
    if (!removed) throw new NotFoundError(`no create policy with id ${id}`);
  }

  async listImagePolicies(): Promise<{ items: ImagePolicyDto[] }> {
    return { items: (await this.images.list()).map(toImagePolicyDto) };
  }

  async getImagePolicy(id: string): Promise<ImagePolicyDto> {
    const row = await this.images.find(id);
    if (!row) throw new NotFoundError(`no image policy with id ${id}`);
    return toImagePolicyDto(row);
  }

  async createImagePolicy(input: ImagePolicyInput, createdBy: string | null): Promise<ImagePolicyDto> {
    try {
      const row = await this.changing(this.imagePolicyList, () =>
        this.images.create({ ...input, createdBy }, this.clock.now()),
      );
      this.logger.log(`image policy ${row.name} (${row.id}) made by ${createdBy ?? 'unknown'}`);
      return toImagePolicyDto(row);
    } catch (err) {
      if (err instanceof DuplicateImagePolicyNameError)
        throw new ConflictError(`an image policy named ${input.name} exists`);
      throw err;
    }
  }

  async removeImagePolicy(id: string): Promise<void> {
    const removed = await this.changing(this.imagePolicyList, () => this.images.remove(id));
    if (!removed) throw new NotFoundError(`no image policy with id ${id}`);
  }

  // Per host id, the origin of the create's image where the host holds it, read only when a policy
  // refuses unknown origins. A create that pulls `always` runs what the registry serves, recorded
  // `pulled`, whatever the host held before.
  private async imageOrigins(
    hostIds: readonly string[],
    create: Extract<ContainerCreateParams, { runtime: 'docker' }>,
    policies: readonly ImagePolicyDto[],
  ): Promise<Map<string, string>> {
    if (create.pull === 'always' || !policies.some((p) => p.refuseUnknownOrigin)) return new Map();
    return this.origins.originOnHosts(hostIds, imageNamesOf(create.image));
  }

  private imagePolicies(): Promise<ImagePolicyDto[]> {
    return this.imagePolicyList.get();
  }

  private async recordImageRefusal(
    op: CommandOp,
    refused: { host: PolicyHost; refusal: ImageRefusal }[],
    requestedBy: string | null,
  ): Promise<void> {
    const first = refused[0]!;
    await this.audit.record({
      actor: actorOfRequestedBy(requestedBy),
      action: `policy ${op}`,
      targetKind: 'host',
      targetId: refused.length === 1 ? first.host.id : null,
      outcome: 'denied',
      statusCode: 422,
      detail: {
        rules: [...new Set(refused.map((r) => r.refusal.rule))],
        policies: [...new Set(refused.map((r) => r.refusal.policy))],
        field: `params.${first.refusal.field}`,
        hosts: refused.slice(0, 20).map((r) => `${r.host.hostname} (${r.host.id}): ${r.refusal.rule}`),
        ...(refused.length > 20 ? { hostsOmitted: refused.length - 20 } : {}),
      },
    });
  }

  private policies(): Promise<PolicyDto[]> {
    return this.createPolicies.get();
  }

  private refusalOn(policies: readonly PolicyDto[], host: PolicyHost, params: ContainerCreateParams) {
    return checkCreate(params, effectivePolicy(policies, host).grants, { installedTemplates: host.lxcTemplates });
  }

  private async recordRefusal(
    op: CommandOp,
    refused: { host: PolicyHost; refusal: CreateRefusal }[],
    requestedBy: string | null,
  ): Promise<void> {
    const first = refused[0]!;
    await this.audit.record({
      actor: actorOfRequestedBy(requestedBy),
      action: `policy ${op}`,
      targetKind: 'host',
      targetId: refused.length === 1 ? first.host.id : null,
      outcome: 'denied',
      statusCode: 403,
      detail: {
        rules: [...new Set(refused.map((r) => r.refusal.rule))],
        field: `params.${first.refusal.field}`,
        hosts: refused.slice(0, 20).map((r) => `${r.host.hostname} (${r.host.id}): ${r.refusal.rule}`),
        ...(refused.length > 20 ? { hostsOmitted: refused.length - 20 } : {}),
      },
    });
  }

  // A write to the policies: what is remembered of them is read again by the next check, and by any
  // check begun while the write was in flight.
  private async changing<T>(remembered: Remembered<unknown>, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      remembered.forget();
      const kind = remembered === this.imagePolicyList ? 'image' : 'create';
      await this.channel.notify(CHANNEL.policies, JSON.stringify({ p: kind }));
    }
  }

  private async named<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof DuplicatePolicyNameError) throw new ConflictError(`a create policy named ${name} exists`);
      throw err;
    }
  }
}
