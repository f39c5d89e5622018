import {
  DockerCreateParamsSchema,
  HostLabelKeySchema,
  HostLabelValueSchema,
  LxcCreateParamsSchema,
} from '@corral/protocol';
import { z } from 'zod';
import { CommandSchema, DeadlineParamSchema, FlagParamSchema, WaitParamSchema } from './command.dto.js';
import { isoDate } from './inventory.dto.js';
import { CursorParamSchema, LimitParamSchema, pageSchema } from './pagination.dto.js';

export const MAX_REPLICAS = 100;
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

export const GroupNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/,
    'a group name is 1 to 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  )
  .describe('placement group: no two of its containers share a host');

export const ConstraintSchema = z
  .discriminatedUnion('op', [
    z.strictObject({ label: HostLabelKeySchema, op: z.enum(['=', '!=']), value: HostLabelValueSchema }),
    z.strictObject({
      label: HostLabelKeySchema,
      op: z.enum(['in', 'not in']),
      values: z.array(HostLabelValueSchema).min(1).max(64),
    }),
    z.strictObject({ label: HostLabelKeySchema, op: z.literal('exists') }),
  ])
  .describe(
    'a condition on the host labels (agent labels overlaid with API labels); "!=" and "not in" hold on hosts without the label',
  );

export const ResourcesSchema = z
  .strictObject({
    memoryBytes: z.number().int().min(MIN_MEMORY_BYTES).optional().describe('memory limit of each replica'),
    cpus: z.number().positive().max(1024).optional().describe('CPU limit of each replica, in cores'),
  })
  .describe('limits of each replica; they become the container limits and count against the host capacity');

const common = {
  resources: ResourcesSchema.default({}),
  constraints: z.array(ConstraintSchema).max(32).default([]),
  hosts: z
    .array(z.string().trim().min(1).max(255))
    .min(1)
    .max(1000)
    .optional()
    .describe('host names or ids allowed; any host when absent'),
  group: GroupNameSchema.optional(),
  strategy: z
    .enum(['spread', 'binpack'])
    .default('spread')
    .describe('spread: most free memory fraction first; binpack: least free that still fits'),
  replicas: z.number().int().min(1).max(MAX_REPLICAS).default(1).describe('copies to place; names get -1, -2, ...'),
  allOrNothing: z.boolean().default(false).describe('place none unless every replica fits'),
  deadlineSeconds: DeadlineParamSchema,
};

export const DockerSpecSchema = z
  .strictObject(DockerCreateParamsSchema.omit({ runtime: true, registryAuth: true }).shape)
  .describe('the container.create params of a Docker container, without runtime');
export const LxcSpecSchema = z
  .strictObject(LxcCreateParamsSchema.omit({ runtime: true }).shape)
  .describe('the container.create params of an LXC container, without runtime');

export const PlacementRequestSchema = z.discriminatedUnion('runtime', [
  z.strictObject({
    runtime: z.literal('docker'),
    spec: DockerSpecSchema,
    ...common,
  }),
  z.strictObject({
    runtime: z.literal('lxc'),
    spec: LxcSpecSchema,
    ...common,
  }),
]);
export type PlacementRequest = z.output<typeof PlacementRequestSchema>;

export const PlacementQuerySchema = z.strictObject({
  dryRun: FlagParamSchema.optional().describe('explain the decision without placing anything'),
  wait: WaitParamSchema.describe('seconds to wait for the create commands to end before answering (at most 120)'),
  deadline: DeadlineParamSchema,
});

// ---- the explanation ----------------------------------------------------------------------

const bytes = z.number().describe('bytes');

export const PlacementHostSchema = z.object({
  hostId: z.guid(),
  hostname: z.string(),
  verdict: z.enum(['fits', 'rejected']),
  filter: z
    .string()
    .nullable()
    .describe('the filter that rejected it: hosts, online, cordon, runtime, facts, labels, anti-affinity, memory, cpu'),
  reason: z.string().nullable(),
  score: z.number().nullable().describe('for hosts that fit'),
  memory: z.object({ allocatableBytes: bytes.nullable(), usedBytes: bytes, freeBytes: bytes.nullable() }),
  cpus: z.object({ allocatable: z.number().nullable(), used: z.number(), free: z.number().nullable() }),
  containers: z.number().int(),
  groupContainers: z.number().int().describe('containers of the requested group already on it'),
});

export const PlacementCandidateSchema = z.object({
  hostId: z.guid(),
  hostname: z.string(),
  score: z.number(),
  freeMemoryBytes: bytes.describe('before this replica'),
  containers: z.number().int(),
});

export const PlacementDecisionSchema = z.object({
  replica: z.number().int().describe('1-based'),
  name: z.string().nullable().describe('container name given to this replica'),
  hostId: z.guid().nullable().describe('chosen host; null when none fits'),
  hostname: z.string().nullable(),
  score: z.number().nullable(),
  evaluatedHosts: z
    .number()
    .int()
    .describe('hosts in scope whose verdict was worked out (every one when none fits or the request names hosts)'),
  skippedHosts: z
    .number()
    .int()
    .describe(
      'hosts in scope not evaluated: they rank below the candidates kept, or surely lack the free memory (binpack) or CPU requested, so they cannot change the choice',
    ),
  feasibleHosts: z.number().int().describe('evaluated hosts that passed every filter'),
  rejectedHosts: z
    .record(z.string(), z.number().int())
    .describe('evaluated hosts turned down, by the first filter rejecting them; "hosts": outside the requested hosts'),
  rejectedExamples: z
    .record(z.string(), z.array(z.string()))
    .describe('per filter, up to 3 of the hosts it turned down: "<hostname>: <reason>"'),
  candidates: z.array(PlacementCandidateSchema).describe('the best hosts that fit (at most 5), best first'),
});

export const PlacementExplanationSchema = z.object({
  summary: z.string(),
  strategy: z.enum(['spread', 'binpack']),
  replicas: z.object({ requested: z.number().int(), placed: z.number().int() }),
  demand: z.object({
    runtime: z.enum(['docker', 'lxc']),
    memoryBytes: bytes.describe('0 when no memory limit was asked for'),
    cpus: z.number(),
    group: z.string().nullable(),
  }),
  decisions: z.array(PlacementDecisionSchema),
  hosts: z
    .array(PlacementHostSchema)
    .describe(
      "the first replica's candidates, then the hosts it gives as rejected examples, as it saw them (at most 32)",
    ),
  hostsOmitted: z.number().int().describe('hosts in scope not listed in `hosts`'),
  reasons: z
    .array(z.string())
    .describe('when a replica fits nowhere: one reason per host, "<hostname>: <reason>" (the first 1000)'),
  reasonsOmitted: z.number().int(),
});
export type PlacementExplanation = z.infer<typeof PlacementExplanationSchema>;

// ---- stored decisions -------------------------------------------------------------------------

export const PLACEMENT_OUTCOMES = ['placed', 'partial', 'rejected', 'dry_run'] as const;
export const PlacementOutcomeSchema = z
  .enum(PLACEMENT_OUTCOMES)
  .describe(
    'placed: every replica; partial: some (allOrNothing false); rejected: none; dry_run: nothing was placed on purpose',
  );

export const PlacementSchema = z.object({
  id: z.guid(),
  url: z.string().describe('/api/v1/placements/{id}'),
  createdAt: isoDate,
  requestedBy: z.string().nullable(),
  dryRun: z.boolean(),
  outcome: PlacementOutcomeSchema,
  group: z.string().nullable(),
  request: z.record(z.string(), z.unknown()).describe('the request as received, defaults applied'),
  explanation: PlacementExplanationSchema,
  hostIds: z.array(z.guid()).describe('hosts chosen, one per placed replica (for a dry run: would be chosen)'),
  commandIds: z.array(z.guid()),
  commands: z.array(CommandSchema).describe('the container.create commands, one per placed replica'),
});
export type PlacementDto = z.infer<typeof PlacementSchema>;

export const PlacementSummarySchema = PlacementSchema.omit({ explanation: true, commands: true, request: true }).extend(
  {
    summary: z.string(),
  },
);
export type PlacementSummaryDto = z.infer<typeof PlacementSummarySchema>;
export const PlacementPageSchema = pageSchema(PlacementSummarySchema);

export const PlacementReplySchema = z.object({ placement: PlacementSchema });

export const PlacementRejectionSchema = z.object({
  error: z.literal('conflict'),
  message: z.string(),
  reasons: z.array(z.string()).describe('one per host: "<hostname>: <reason>"'),
  placement: PlacementSchema,
});

export const PlacementListQuerySchema = z.strictObject({
  group: GroupNameSchema.optional().describe('only placements of this group'),
  outcome: PlacementOutcomeSchema.optional(),
  limit: LimitParamSchema,
  cursor: CursorParamSchema,
});
export type PlacementListQuery = z.output<typeof PlacementListQuerySchema>;
