import { z } from 'zod';
import type { OpSpec, TargetKind } from './ops/op-spec.js';
import { OPS } from './ops/registry.js';
import { type RuntimeName, RuntimeNameSchema } from './records.js';

// ---- targets ------------------------------------------------------------------------------

export const CommandTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('host').describe('the host itself (host-wide ops: create, prune, refresh, ...)') }),
  z.object({
    kind: z.literal('container').describe('a container'),
    runtime: RuntimeNameSchema.describe('its runtime: docker or lxc'),
    id: z.string().min(1).describe('Docker container id, or the LXC container name'),
    lxcPath: z.string().nullable().default(null).describe('LXC only: lxcpath of the container'),
  }),
  z.object({
    kind: z.literal('image').describe('a Docker image'),
    id: z.string().min(1).describe('Docker image id (sha256:...)'),
  }),
  z.object({
    kind: z.literal('volume').describe('a Docker volume'),
    name: z.string().min(1).describe('volume name'),
  }),
  z.object({
    kind: z.literal('network').describe('a Docker network'),
    id: z.string().min(1).describe('Docker network id'),
  }),
]);
export type CommandTarget = z.infer<typeof CommandTargetSchema>;

// ---- ops: derived from the registry (ops/registry.ts) ------------------------------------

export type CommandOp = keyof typeof OPS;
export const COMMAND_OPS = Object.keys(OPS) as CommandOp[];
export const CommandOpSchema = z.enum(COMMAND_OPS as [CommandOp, ...CommandOp[]]);

// Params schema of each op, by op.
export const COMMAND_PARAMS = Object.fromEntries(COMMAND_OPS.map((op) => [op, OPS[op].params])) as {
  [Op in CommandOp]: (typeof OPS)[Op]['params'];
};
export type CommandParams<Op extends CommandOp> = z.infer<(typeof OPS)[Op]['params']>;
export type CommandResultOf<Op extends CommandOp> = z.infer<(typeof OPS)[Op]['result']>;

export const opSpec = (op: CommandOp): OpSpec => OPS[op] as OpSpec;

// Which runtime can do which container op (create included); the controller refuses the rest
// with 422 before anything is sent.
const opsOf = (runtime: RuntimeName) =>
  new Set(
    COMMAND_OPS.filter((op) => {
      const spec = opSpec(op);
      return (spec.target === 'container' || spec.runtimeFromParams) && spec.runtimes.includes(runtime);
    }),
  );
export const RUNTIME_OPS: Record<RuntimeName, ReadonlySet<CommandOp>> = { docker: opsOf('docker'), lxc: opsOf('lxc') };

// The target kind each op acts on.
export function targetKindOf(op: CommandOp): TargetKind {
  return OPS[op].target;
}

// The runtime a command runs on: the container's, the one its params name (create), or the one
// the op needs on its host (images, volumes and networks are Docker's); null for host-wide ops.
export function runtimeOfCommand(op: CommandOp, target: CommandTarget, params: unknown): RuntimeName | null {
  if (target.kind === 'container') return target.runtime;
  const spec = opSpec(op);
  if (spec.runtimeFromParams) {
    const runtime = (params as { runtime?: unknown } | null)?.runtime;
    return runtime === 'lxc' || runtime === 'docker' ? runtime : null;
  }
  return spec.runtimes[0] ?? null;
}

// Sources the agent re-reads after the op, with `runtime` resolved.
export function refreshSourcesOf(op: CommandOp, runtime: RuntimeName | null): string[] | 'all' {
  const refresh = opSpec(op).refresh;
  if (refresh === 'all') return 'all';
  return [...new Set(refresh.flatMap((s) => (s === 'runtime' ? (runtime ? [runtime] : []) : [s])))];
}

// ---- errors ---------------------------------------------------------------------------

export const CommandErrorCodeSchema = z.enum([
  'invalid_params',
  'unsupported',
  'not_found',
  'conflict',
  'in_use',
  'engine_error',
  'timeout',
  'canceled',
  'interrupted',
  // The agent's own policy (CORRAL_AGENT_POLICY) refuses it, whatever the controller allowed.
  'forbidden',
  'internal',
]);
export type CommandErrorCode = z.infer<typeof CommandErrorCodeSchema>;

export const CommandErrorSchema = z.object({
  code: CommandErrorCodeSchema.describe(
    'invalid_params, unsupported, not_found, conflict, in_use, engine_error, timeout, canceled, interrupted (the agent restarted or lost it), forbidden (the agent policy refused it) or internal',
  ),
  message: z.string().describe('what went wrong, as the agent or the engine said it'),
  retryable: z.boolean().describe('issuing the same command again may succeed (e.g. the engine was unreachable)'),
});
export type CommandError = z.infer<typeof CommandErrorSchema>;

// ---- results -------------------------------------------------------------------------

export const CommandResultSchema = z.record(z.string(), z.unknown()).describe('op-specific result');

// ---- the messages ---------------------------------------------------------------------

export const CommandMessageSchema = z.object({
  type: z.literal('command'),
  id: z.uuid(),
  op: CommandOpSchema,
  target: CommandTargetSchema,
  params: z.record(z.string(), z.unknown()),
  deadline: z.iso.datetime({ offset: true }),
});
export type CommandMessage = z.infer<typeof CommandMessageSchema>;

export const CommandCancelSchema = z.object({
  type: z.literal('command.cancel'),
  id: z.uuid(),
});
export type CommandCancel = z.infer<typeof CommandCancelSchema>;

export const CommandAcceptedSchema = z.object({
  type: z.literal('command.accepted'),
  id: z.uuid(),
});

export const CommandOutputSchema = z.object({
  type: z.literal('command.output'),
  id: z.uuid(),
  stream: z.enum(['stdout', 'stderr']),
  chunk: z.string(),
});

export const CommandResultMessageSchema = z
  .object({
    type: z.literal('command.result'),
    id: z.uuid(),
    ok: z.boolean(),
    result: CommandResultSchema.nullable().default(null),
    error: CommandErrorSchema.nullable().default(null),
  })
  .superRefine((m, ctx) => {
    if (m.ok && m.error) ctx.addIssue({ code: 'custom', path: ['error'], message: 'must be null when ok is true' });
    if (!m.ok && !m.error) ctx.addIssue({ code: 'custom', path: ['error'], message: 'required when ok is false' });
  });
export type CommandResultMessage = z.infer<typeof CommandResultMessageSchema>;

// Validates params against the op's schema (applying defaults); both sides call it.
export function parseCommandParams<Op extends CommandOp>(
  op: Op,
  params: unknown,
): { ok: true; params: CommandParams<Op> } | { ok: false; field: string | null; message: string } {
  const schema = COMMAND_PARAMS[op];
  const result = schema.safeParse(params ?? {});
  if (result.success) return { ok: true, params: result.data as CommandParams<Op> };
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  return { ok: false, field, message: `${field ? `params.${field}` : 'params'}: ${issue?.message ?? 'invalid'}` };
}
