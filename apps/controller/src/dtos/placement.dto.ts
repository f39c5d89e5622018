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

const labelKey = HostLabelKeySchema.describe('host label key, e.g. zone or disk (1 to 63 characters)');

export const ConstraintSchema = z
  .discriminatedUnion('op', [
    z.strictObject({
      label: labelKey,
      op: z.enum(['=', '!=']).describe('"=": the label has this value; "!=": it does not (or is absent)'),
      value: HostLabelValueSchema.describe('the value compared, e.g. eu-west (empty or up to 63 characters)'),
    }),
    z.strictObject({
      label: labelKey,
      op: z
        .enum(['in', 'not in'])
        .describe('"in": the value is one of `values`; "not in": it is none of them (or absent)'),
      values: z
        .array(HostLabelValueSchema)
        .min(1)
        .max(64)
        .describe('the values compared, 1 to 64 of them, e.g. ["ssd", "nvme"]'),
    }),
    z.strictObject({
      label: labelKey,
      op: z.literal('exists').describe('the host has the label, whatever its value'),
    }),
  ])
  .describe(
    'a condition on the host labels (agent labels overlaid with API labels); "!=" and "not in" hold on hosts without the label',
  );

export const ResourcesSchema = z
  .strictObject({
    memoryBytes: z
      .number()
      .int()
      .min(MIN_MEMORY_BYTES)
      .optional()
      .describe('memory limit of each replica in bytes (at least 6 MiB)'),
    cpus: z.number().positive().max(1024).optional().describe('CPU limit of each replica, in cores'),
  })
  .describe('limits of each replica; they become the container limits and count against the host capacity');

const common = {
  resources: ResourcesSchema.default({}),
  constraints: z
    .array(ConstraintSchema)
    .max(32)
    .default([])
    .describe('conditions on host labels that a host must meet, all of them (at most 32)'),
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
    runtime: z.literal('docker').describe('place Docker containers; spec is a Docker container.create body'),
    spec: DockerSpecSchema,
    ...common,
  }),
  z.strictObject({
    runtime: z.literal('lxc').describe('place LXC containers; spec is an LXC container.create body'),
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

const bytes = z.number();

export const PlacementHostSchema = z.object({
  hostId: z.guid().describe('Corral id of the host'),
  hostname: z.string().describe('hostname of the host'),
  verdict: z.enum(['fits', 'rejected']).describe('fits: every filter passed; rejected: `filter` turned it down'),
  filter: z
    .string()
    .nullable()
    .describe('the filter that rejected it: hosts, online, cordon, runtime, facts, labels, anti-affinity, memory, cpu'),
  reason: z
    .string()
    .nullable()
    .describe('why it was rejected, e.g. "512 MiB free < 1 GiB requested"; null when it fits'),
  score: z
    .number()
    .nullable()
    .describe(
      'for hosts that fit: free memory fraction left after the replica (spread), or 1 minus it (binpack); higher wins',
    ),
  memory: z
    .object({
      allocatableBytes: bytes
        .nullable()
        .describe('memory of the host in bytes (facts.memoryTotalBytes); null without facts'),
      usedBytes: bytes.describe('sum of the memory limits of the containers counted on the host, in bytes'),
      freeBytes: bytes.nullable().describe('allocatable minus used, in bytes; null without facts'),
    })
    .describe('memory as placement counts it: limits, not what containers use now'),
  cpus: z
    .object({
      allocatable: z.number().nullable().describe('CPUs of the host (facts.cpuCount); null without facts'),
      used: z.number().describe('sum of the CPU limits of the containers counted on the host, in cores'),
      free: z.number().nullable().describe('allocatable minus used, in cores; null without facts'),
    })
    .describe('CPUs as placement counts them: limits, in cores'),
  containers: z.number().int().describe('containers on the host'),
  groupContainers: z.number().int().describe('containers of the requested group already on it'),
});

export const PlacementCandidateSchema = z.object({
  hostId: z.guid().describe('Corral id of the host'),
  hostname: z.string().describe('hostname of the host'),
  score: z.number().describe('its score for this replica; higher wins (ties: fewer containers, then hostname)'),
  freeMemoryBytes: bytes.describe('free memory in bytes before this replica (allocatable minus counted limits)'),
  containers: z.number().int().describe('containers on the host before this replica'),
});

export const PlacementDecisionSchema = z.object({
  replica: z.number().int().describe('1-based'),
  name: z.string().nullable().describe('container name given to this replica'),
  hostId: z.guid().nullable().describe('chosen host; null when none fits'),
  hostname: z.string().nullable().describe('hostname of the chosen host; null when none fits'),
  score: z.number().nullable().describe('score of the chosen host; null when none fits'),
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
  summary: z
    .string()
    .describe('one line for people, e.g. "placed 2 of 2: web-1 on h1 (score 0.75), web-2 on h2 (score 0.5)"'),
  strategy: z.enum(['spread', 'binpack']).describe('the strategy used'),
  replicas: z
    .object({
      requested: z.number().int().describe('replicas asked for'),
      placed: z.number().int().describe('replicas placed (for a dry run: that would be)'),
    })
    .describe('how many were asked for and placed'),
  demand: z
    .object({
      runtime: z.enum(['docker', 'lxc']).describe('runtime the hosts must offer'),
      memoryBytes: bytes.describe('memory limit of each replica in bytes; 0 when no memory limit was asked for'),
      cpus: z.number().describe('CPU limit of each replica in cores; 0 when none was asked for'),
      group: z.string().nullable().describe('placement group; null when none'),
    })
    .describe('what each replica needs'),
  decisions: z.array(PlacementDecisionSchema).describe('one per replica, in order'),
  hosts: z
    .array(PlacementHostSchema)
    .describe(
      "the first replica's candidates, then the hosts it gives as rejected examples, as it saw them (at most 32)",
    ),
  hostsOmitted: z.number().int().describe('hosts in scope not listed in `hosts`'),
  reasons: z
    .array(z.string())
    .describe('when a replica fits nowhere: one reason per host, "<hostname>: <reason>" (the first 1000)'),
  reasonsOmitted: z.number().int().describe('reasons left out of `reasons` past the first 1000'),
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
  id: z.guid().describe('Corral id of the placement decision'),
  url: z.string().describe('/api/v1/placements/{id}'),
  createdAt: isoDate.describe('when the decision was made'),
  requestedBy: z.string().nullable().describe('who asked for it: "token:NAME (token id)"; null when not recorded'),
  dryRun: z.boolean().describe('true: only explained, nothing was created'),
  outcome: PlacementOutcomeSchema,
  group: z.string().nullable().describe('placement group of the request; null when none'),
  request: z.record(z.string(), z.unknown()).describe('the request as received, defaults applied'),
  explanation: PlacementExplanationSchema.describe('why each replica went where it went, or nowhere'),
  hostIds: z.array(z.guid()).describe('hosts chosen, one per placed replica (for a dry run: would be chosen)'),
  commandIds: z
    .array(z.guid())
    .describe('ids of the container.create commands, one per placed replica; [] for a dry run'),
  commands: z.array(CommandSchema).describe('the container.create commands, one per placed replica'),
});
export type PlacementDto = z.infer<typeof PlacementSchema>;

export const PlacementSummarySchema = PlacementSchema.omit({ explanation: true, commands: true, request: true }).extend(
  {
    summary: z.string().describe("one line for people: the explanation's summary"),
  },
);
export type PlacementSummaryDto = z.infer<typeof PlacementSummarySchema>;
export const PlacementPageSchema = pageSchema(PlacementSummarySchema);

export const PlacementReplySchema = z.object({ placement: PlacementSchema });

export const PlacementRejectionSchema = z.object({
  error: z.literal('conflict').describe('always conflict'),
  message: z.string().describe('no container (would be) placed, and the summary of why'),
  reasons: z.array(z.string()).describe('one per host: "<hostname>: <reason>"'),
  placement: PlacementSchema,
});

export const PlacementListQuerySchema = z.strictObject({
  group: GroupNameSchema.optional().describe('only placements of this group'),
  outcome: PlacementOutcomeSchema.optional().describe(
    'only placements with this outcome: placed, partial, rejected or dry_run',
  ),
  limit: LimitParamSchema,
  cursor: CursorParamSchema,
});
export type PlacementListQuery = z.output<typeof PlacementListQuerySchema>;
