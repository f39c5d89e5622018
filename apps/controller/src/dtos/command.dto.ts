import { CommandErrorSchema, CommandOpSchema, CommandTargetSchema } from '@corral/protocol';
import { z } from 'zod';
import { COMMAND_STATUSES } from '../services/command-states.js';
import { commaList } from './comma-list.js';
import { isoDate } from './inventory.dto.js';
import { CursorParamSchema, LimitParamSchema, pageSchema } from './pagination.dto.js';

export const CommandStatusSchema = z
  .enum(COMMAND_STATUSES)
  .describe('pending -> sent -> running -> succeeded | failed | timed_out | canceled');

export const MAX_WAIT_SECONDS = 120;
export const DEFAULT_DEADLINE_SECONDS = 300;
export const MAX_DEADLINE_SECONDS = 24 * 3600;

export const CommandSchema = z.object({
  id: z.guid().describe('Corral id of the command'),
  url: z.string().describe('where to follow it: /api/v1/commands/{id}'),
  hostId: z.guid().describe('host that carries it out'),
  op: CommandOpSchema.describe('the op, e.g. container.start (the registry of ops names them all)'),
  target: CommandTargetSchema.describe('what the agent acts on, in the engine own ids'),
  targetKind: z
    .enum(['host', 'container', 'image', 'volume', 'network'])
    .describe('kind of the row targetId names, or host for host-wide ops'),
  targetId: z.guid().nullable().describe('Corral id of the inventory row it acts on; null for host-wide ops'),
  params: z.record(z.string(), z.unknown()).describe('the op parameters, defaults applied'),
  status: CommandStatusSchema,
  result: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("the op's result once succeeded (its shape: the op's result schema in packages/protocol ops/results.ts)"),
  error: CommandErrorSchema.nullable().describe('why it failed, timed out or was canceled'),
  output: z.string().describe('exec/logs output streamed so far (capped; the result holds all of it)'),
  outputTruncated: z.boolean().describe('output passed the cap and was cut'),
  requestedBy: z.string().nullable().describe('who asked for it: "token:NAME (token id)"; null when not recorded'),
  idempotencyKey: z.string().nullable().describe('the Idempotency-Key header it was created with'),
  createdAt: isoDate.describe('when the command was made'),
  sentAt: isoDate.nullable().describe('when it was last sent to the agent'),
  startedAt: isoDate.nullable().describe('when the agent accepted it'),
  finishedAt: isoDate.nullable().describe('when it reached a final status; null while open'),
  cancelRequestedAt: isoDate.nullable().describe('when a cancel was asked for while the agent held it'),
  deadline: isoDate.describe('after this it ends as timed_out'),
});

// List items leave out result and output, which can be megabytes; GET the command for them.
export const CommandSummarySchema = CommandSchema.omit({ result: true, output: true });
export const CommandPageSchema = pageSchema(CommandSummarySchema);

export type CommandDto = z.infer<typeof CommandSchema>;
export type CommandSummaryDto = z.infer<typeof CommandSummarySchema>;

// Query flags: `?force`, `?force=true` and `?force=1` mean true.
export const FlagParamSchema = z
  .enum(['', 'true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === '' || v === 'true' || v === '1');

export const WaitParamSchema = z.coerce
  .number()
  .int()
  .min(0)
  .max(MAX_WAIT_SECONDS, `at most ${MAX_WAIT_SECONDS} seconds; follow the command's url for longer`)
  .default(0)
  .describe(`seconds to wait for the command to end before answering (at most ${MAX_WAIT_SECONDS})`);

export const DeadlineParamSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_DEADLINE_SECONDS)
  .optional()
  .describe(`seconds the command may take before it times out (default ${DEFAULT_DEADLINE_SECONDS}, at most 24 h)`);

// Query parameters every command-issuing route takes.
export const commandQuery = { wait: WaitParamSchema, deadline: DeadlineParamSchema };
export const CommandQuerySchema = z.strictObject(commandQuery);

export const ContainerRemoveQuerySchema = z.strictObject({
  ...commandQuery,
  force: FlagParamSchema.optional().describe('remove it even while running'),
  volumes: FlagParamSchema.optional().describe('docker: remove its anonymous volumes too'),
});

export const ForceQuerySchema = z.strictObject({
  ...commandQuery,
  force: FlagParamSchema.optional().describe('remove it even while in use'),
});

export const ImageImportQuerySchema = z.strictObject({
  ...commandQuery,
  reference: z.string().min(1).max(255).describe('repository:tag to give the imported image'),
});

export const CommandGetQuerySchema = z.strictObject({ wait: WaitParamSchema });

export const CommandListQuerySchema = z.strictObject({
  host: z.string().trim().min(1).max(255).optional().describe('host id or exact hostname (case-insensitive)'),
  status: commaList(CommandStatusSchema, 'status')
    .optional()
    .describe('statuses, comma-separated (pending,sent,running)'),
  op: CommandOpSchema.optional().describe('the op, e.g. container.start'),
  target: z.guid('must be a UUID').optional().describe('Corral id of the inventory row acted on'),
  limit: LimitParamSchema,
  cursor: CursorParamSchema,
});

export type CommandListQuery = z.output<typeof CommandListQuerySchema>;
