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
import type { ImagePolicyDto, ImagePolicyInput } from '../dtos/image-policy.dto.js';
import type { PolicyDto, PolicyInput } from '../dtos/policy.dto.js';
import type { Clock } from '../repositories/clock.repository.js';
import { DuplicateImagePolicyNameError, ImagePolicyRepository } from '../repositories/image-policy.repository.js';
import {
  DuplicatePolicyNameError,
  type PolicyHostRow,
  PolicyRepository,
  type PolicyRow,
} from '../repositories/policy.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { AuditService } from './audit.service.js';
import { ConflictError, ImagePolicyRefusedError, NotFoundError, PolicyRefusedError } from './errors.js';
import { checkImage, type ImageRefusal, toImagePolicyDto } from './image-policy.js';
import { actorOfRequestedBy } from './principal.js';
import { constraintHolds } from './scheduler/labels.filter.js';
import type { Constraint, SchedulingHost } from './scheduler/scheduler.types.js';

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

// Admin-managed create policies, and the one check every path that creates goes through.
@Injectable()
export class CreatePolicyService {
  private readonly logger = new Logger('CreatePolicy');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: PolicyRepository,
    private readonly audit: AuditService,
    private readonly images: ImagePolicyRepository,
  ) {}

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
      const image =
        create.runtime === 'docker' ? checkImage(create.image, await this.imagePolicies(), host.agentLabels) : null;
      if (!image) return;
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
        for (const row of await this.repo.hosts(hostIds)) {
          const host = toPolicyHost(row);
          const refusal = checkImage(create.image, imagePolicies, host.agentLabels);
          if (!refusal) continue;
          refusedImages.push({ host, refusal });
          out.set(host.id, `image policy ${refusal.policy} rule ${refusal.rule}: ${refusal.message}`);
        }
        if (refusedImages.length > 0) await this.recordImageRefusal('container.create', refusedImages, requestedBy);
      }
    }
    // Grants only widen the default: a Docker spec the default allows is allowed everywhere.
    if (create.runtime === 'docker' && !checkCreate(create, NO_GRANTS, { installedTemplates: null })) return out;
    const policies = await this.policies();
    const refused: { host: PolicyHost; refusal: CreateRefusal }[] = [];
    for (const row of await this.repo.hosts(hostIds)) {
      const host = toPolicyHost(row);
      const refusal = this.refusalOn(policies, host, create);
      if (!refusal || out.has(host.id)) continue;
      refused.push({ host, refusal });
      out.set(host.id, `create policy rule ${refusal.rule}: ${refusal.message}`);
    }
    if (refused.length > 0) await this.recordRefusal('container.create', refused, requestedBy);
    return out;
  }

  async effective(hostId: string): Promise<EffectivePolicy & { host: PolicyHost }> {
    const [row] = await this.repo.hosts([hostId]);
    if (!row) throw new NotFoundError(`no host with id ${hostId}`);
    const host = toPolicyHost(row);
    return { host, ...effectivePolicy(await this.policies(), host) };
  }

  async list(): Promise<{ items: PolicyDto[] }> {
    return { items: await this.policies() };
  }

  async get(id: string): Promise<PolicyDto> {
    const row = await this.repo.find(id);
    if (!row) throw new NotFoundError(`no create policy with id ${id}`);
    return toPolicyDto(row);
  }

  async create(input: PolicyInput, createdBy: string | null): Promise<PolicyDto> {
    const row = await this.named(input.name, () => this.repo.create({ ...input, createdBy }, this.clock.now()));
    this.logger.log(`create policy ${row.name} (${row.id}) made by ${createdBy ?? 'unknown'}`);
    return toPolicyDto(row);
  }

  async replace(id: string, input: PolicyInput): Promise<PolicyDto> {
    const row = await this.named(input.name, () => this.repo.replace(id, input, this.clock.now()));
    if (!row) throw new NotFoundError(`no create policy with id ${id}`);
    return toPolicyDto(row);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repo.remove(id))) throw new NotFoundError(`no create policy with id ${id}`);
  }

  async listImagePolicies(): Promise<{ items: ImagePolicyDto[] }> {
    return { items: await this.imagePolicies() };
  }

  async getImagePolicy(id: string): Promise<ImagePolicyDto> {
    const row = await this.images.find(id);
    if (!row) throw new NotFoundError(`no image policy with id ${id}`);
    return toImagePolicyDto(row);
  }

  async createImagePolicy(input: ImagePolicyInput, createdBy: string | null): Promise<ImagePolicyDto> {
    try {
      const row = await this.images.create({ ...input, createdBy }, this.clock.now());
      this.logger.log(`image policy ${row.name} (${row.id}) made by ${createdBy ?? 'unknown'}`);
      return toImagePolicyDto(row);
    } catch (err) {
      if (err instanceof DuplicateImagePolicyNameError)
        throw new ConflictError(`an image policy named ${input.name} exists`);
      throw err;
    }
  }

  async removeImagePolicy(id: string): Promise<void> {
    if (!(await this.images.remove(id))) throw new NotFoundError(`no image policy with id ${id}`);
  }

  private async imagePolicies(): Promise<ImagePolicyDto[]> {
    return (await this.images.list()).map(toImagePolicyDto);
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

  private async policies(): Promise<PolicyDto[]> {
    return (await this.repo.list()).map(toPolicyDto);
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

  private async named<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof DuplicatePolicyNameError) throw new ConflictError(`a create policy named ${name} exists`);
      throw err;
    }
  }
}
