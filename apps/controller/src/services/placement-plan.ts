import { parseCommandParams } from '@corral/protocol';
import type { PlacementRequest } from '../dtos/placement.dto.js';
import { BadRequestError } from './errors.js';
import type { Demand } from './scheduler/scheduler.types.js';

export const GROUP_LABEL = 'corral.group';
export const PLACEMENT_LABEL = 'corral.placement';

export interface PlacementPlan {
  demand: Omit<Demand, 'hostIds'>;
  // Per replica: its container name (null: Docker picks one) and its container.create params.
  names: (string | null)[];
  params: Record<string, unknown>[];
}

// Limits may come in resources or in the spec; when both give one they must agree.
function limit(request: PlacementRequest, key: 'memoryBytes' | 'cpus'): number | undefined {
  const fromResources = request.resources[key];
  const fromSpec = request.spec[key];
  if (fromResources !== undefined && fromSpec !== undefined && fromResources !== fromSpec) {
    throw new BadRequestError(
      `spec.${key} (${fromSpec}) differs from resources.${key} (${fromResources}); give it once, in resources`,
      `spec.${key}`,
    );
  }
  return fromResources ?? fromSpec;
}

function nameOf(base: string | undefined, replica: number, replicas: number): string | null {
  if (base === undefined) return null;
  return replicas > 1 ? `${base}-${replica}` : base;
}

// Turns a placement request into what the scheduler weighs and the container.create params of each
// replica: limits from resources, names with -1, -2 ... suffixes, and for Docker the group and
// placement labels. Every replica's params are checked like any container.create (400 naming the field).
export function planPlacement(request: PlacementRequest, placementId: string): PlacementPlan {
  const memoryBytes = limit(request, 'memoryBytes');
  const cpus = limit(request, 'cpus');
  const group = request.group ?? null;
  if (request.runtime === 'docker') {
    for (const key of [GROUP_LABEL, PLACEMENT_LABEL]) {
      if (key in request.spec.labels) {
        throw new BadRequestError(`spec.labels.${key} is set by Corral; use "group" for groups`, `spec.labels.${key}`);
      }
    }
  }
  const names: (string | null)[] = [];
  const params: Record<string, unknown>[] = [];
  for (let replica = 1; replica <= request.replicas; replica++) {
    const name = nameOf(request.spec.name, replica, request.replicas);
    const raw: Record<string, unknown> = { ...request.spec, runtime: request.runtime, memoryBytes, cpus };
    if (name !== null) raw.name = name;
    if (request.runtime === 'docker') {
      raw.labels = {
        ...request.spec.labels,
        ...(group ? { [GROUP_LABEL]: group } : {}),
        [PLACEMENT_LABEL]: placementId,
      };
    }
    for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
    const parsed = parseCommandParams('container.create', raw);
    if (!parsed.ok) {
      const field = parsed.field ? `spec.${parsed.field}` : 'spec';
      throw new BadRequestError(`${field}: ${parsed.message.replace(/^params(\.[^:]+)?: /, '')}`, field);
    }
    names.push(name);
    params.push(parsed.params as Record<string, unknown>);
  }
  return {
    demand: {
      runtime: request.runtime,
      memoryBytes: memoryBytes ?? 0,
      cpus: cpus ?? 0,
      constraints: request.constraints,
      group,
    },
    names,
    params,
  };
}
