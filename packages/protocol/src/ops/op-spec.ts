import type { z } from 'zod';
import type { RuntimeName } from '../records.js';

// What an op acts on: the whole host, or one inventory row of a kind.
export const TARGET_KINDS = ['host', 'container', 'image', 'volume', 'network'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export type Role = 'viewer' | 'operator' | 'admin';

// Collectors whose output an op can change; `runtime` is the runtime the command ran on.
export type RefreshSource = 'runtime' | 'docker' | 'lxc' | 'bridges' | 'leases' | 'doctor';

// Where a route's params come from besides its path: a JSON body, the query string, nothing,
// or a streamed upload whose id becomes `params.uploadId`.
export type ParamsFrom = 'body' | 'query' | 'none' | 'upload';

export interface OpRoute {
  method: 'POST' | 'DELETE' | 'GET';
  // Under /api/v1. `{id}` or `{host}` names the target; any other `{name}` fills params.name.
  path: string;
  tag: string;
  paramsFrom: ParamsFrom;
  // Descriptions of the path parameters, by name.
  pathParams: Record<string, string>;
  // Content types an upload route takes.
  uploadTypes?: readonly string[];
  // Served by a hand-written controller (a file answer, or one command per target host), not by
  // the generic command route; the path is still the one the op is reached by.
  custom?: true;
}

// How an image came to be on a host, as the controller records it when a command making one ends.
export type ImageOriginKind = 'pulled' | 'loaded' | 'copied' | 'committed' | 'imported';
// ... and `unknown`: an image that appeared on its host outside Corral.
export const IMAGE_ORIGINS = ['pulled', 'loaded', 'copied', 'committed', 'imported', 'unknown'] as const;

export interface OpSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  summary: string;
  description?: string;
  params: P;
  result: R;
  target: TargetKind;
  // Container ops: the runtimes that can do it. Host and resource ops: the runtime the host needs
  // ([] when none). container.create picks its runtime from params.runtime.
  runtimes: readonly RuntimeName[];
  runtimeFromParams?: boolean;
  // What the other runtime calls the same idea, for the refusal message.
  instead?: Partial<Record<RuntimeName, string>>;
  // Sources the agent re-reads before answering, so the result's effect is in the inventory.
  refresh: readonly RefreshSource[] | 'all';
  route: OpRoute;
  role: Exclude<Role, 'viewer'>;
  // Kept from viewers: these params (top-level keys), the streamed output, the result.
  sensitive: { params: readonly string[]; output: boolean; result: boolean };
  // The param holding an image reference the op may pull: the controller adds that registry's
  // credential (params.registryAuth) to the frame it sends, and only there.
  pullsFrom?: string;
  // The inventory row the op makes, whose Corral id the controller adds to the result.
  creates?: 'container' | 'image';
  // Image-making ops: the origin the controller records for the image when the command succeeds.
  origin?: ImageOriginKind;
  // The result key holding the origin's details, for ops that make an image only sometimes (a create
  // that pulled); a result without it records nothing. Absent: the whole result.
  originIn?: string;
}

// Keeps each entry's own params and result types while checking it is a whole spec.
export function defineOp<P extends z.ZodType, R extends z.ZodType>(
  spec: Omit<OpSpec<P, R>, 'sensitive' | 'role'> & Partial<Pick<OpSpec<P, R>, 'sensitive' | 'role'>>,
): OpSpec<P, R> {
  return {
    role: 'operator',
    ...spec,
    sensitive: { params: [], output: false, result: false, ...spec.sensitive },
  };
}
