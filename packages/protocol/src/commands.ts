import { z } from 'zod';
import { ImageReferenceSchema, ImageTagReferenceSchema } from './image-reference.js';
import { RuntimeNameSchema } from './records.js';

// ---- targets ------------------------------------------------------------------------------

export const CommandTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('host') }),
  z.object({
    kind: z.literal('container'),
    runtime: RuntimeNameSchema,
    id: z.string().min(1).describe('Docker container id, or the LXC container name'),
    lxcPath: z.string().nullable().default(null).describe('LXC only: lxcpath of the container'),
  }),
  z.object({ kind: z.literal('image'), id: z.string().min(1) }),
  z.object({ kind: z.literal('volume'), name: z.string().min(1) }),
  z.object({ kind: z.literal('network'), id: z.string().min(1) }),
]);
export type CommandTarget = z.infer<typeof CommandTargetSchema>;

// ---- params, one schema per op ---------------------------------------------------------

const name = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'letters, digits, "_", "." and "-", starting with a letter or digit');
const argv = z.array(z.string()).min(1).describe('program and arguments, not a shell string');
const env = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string());
const labels = z.record(z.string().min(1), z.string());
const timeoutSeconds = z.number().int().min(0).max(3600);

export const DockerCreateParamsSchema = z.object({
  runtime: z.literal('docker'),
  image: ImageReferenceSchema,
  name: name.optional(),
  command: argv.optional(),
  env: env.default({}),
  labels: labels.default({}),
  ports: z
    .array(
      z.object({
        containerPort: z.number().int().min(1).max(65535),
        hostPort: z.number().int().min(0).max(65535).optional(),
        protocol: z.enum(['tcp', 'udp']).default('tcp'),
        hostIp: z.string().optional(),
      }),
    )
    .default([]),
  mounts: z
    .array(
      z.object({
        source: z.string().min(1).describe('a volume name, or an absolute host path for a bind mount'),
        target: z.string().startsWith('/'),
        readOnly: z.boolean().default(false),
      }),
    )
    .default([]),
  network: z.string().optional(),
  restartPolicy: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).default('no'),
  memoryBytes: z
    .number()
    .int()
    .min(6 * 1024 * 1024)
    .optional(),
  cpus: z.number().positive().max(1024).optional(),
  start: z.boolean().default(true),
});

export const LxcCreateParamsSchema = z.object({
  runtime: z.literal('lxc'),
  name,
  template: z.string().min(1).default('busybox'),
  templateArgs: z.array(z.string()).default([]),
  lxcPath: z.string().startsWith('/').optional(),
  config: z.record(z.string().regex(/^lxc\.[a-z0-9_.]+$/, 'an lxc.* key'), z.string()).default({}),
  memoryBytes: z
    .number()
    .int()
    .min(6 * 1024 * 1024)
    .optional(),
  cpus: z.number().positive().max(1024).optional(),
  start: z.boolean().default(true),
});

export const ContainerCreateParamsSchema = z.discriminatedUnion('runtime', [
  DockerCreateParamsSchema,
  LxcCreateParamsSchema,
]);
export type ContainerCreateParams = z.infer<typeof ContainerCreateParamsSchema>;

const empty = z.object({}).strict();

export const ExecParamsSchema = z.object({
  command: argv,
  env: env.default({}),
  workdir: z.string().startsWith('/').optional(),
  user: z.string().optional(),
  maxOutputBytes: z
    .number()
    .int()
    .min(1)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  timeoutSeconds: timeoutSeconds.optional(),
});

export const COMMAND_PARAMS = {
  'container.create': ContainerCreateParamsSchema,
  'container.start': empty,
  'container.stop': z.object({ timeoutSeconds: timeoutSeconds.default(10), kill: z.boolean().default(false) }),
  'container.restart': z.object({ timeoutSeconds: timeoutSeconds.default(10) }),
  'container.kill': z.object({
    signal: z
      .string()
      .regex(/^(SIG)?[A-Z0-9]+$/)
      .default('SIGKILL'),
  }),
  'container.pause': empty,
  'container.unpause': empty,
  'container.freeze': empty,
  'container.unfreeze': empty,
  'container.remove': z.object({ force: z.boolean().default(false), volumes: z.boolean().default(false) }),
  'container.rename': z.object({ name }),
  'container.exec': ExecParamsSchema,
  'container.logs': z.object({
    tail: z.number().int().min(0).max(100_000).default(100),
    since: z.iso.datetime({ offset: true }).optional(),
    timestamps: z.boolean().default(false),
  }),
  'container.snapshot.create': z.object({ comment: z.string().max(1000).optional() }),
  'container.snapshot.list': empty,
  'container.snapshot.restore': z.object({ snapshot: z.string().min(1), newName: name.optional() }),
  'container.snapshot.delete': z.object({ snapshot: z.string().min(1) }),
  'container.clone': z.object({ newName: name, snapshot: z.boolean().default(false) }),
  'image.import': z.object({
    uploadId: z.string().min(1).describe('id of a rootfs tarball uploaded through the API'),
    reference: ImageTagReferenceSchema,
  }),
  'image.tag': z.object({ reference: ImageTagReferenceSchema }),
  'image.remove': z.object({ force: z.boolean().default(false) }),
  'image.prune': empty,
  'volume.create': z.object({ name, driver: z.string().default('local'), labels: labels.default({}) }),
  'volume.remove': z.object({ force: z.boolean().default(false) }),
  'volume.prune': empty,
  'network.create': z.object({
    name,
    driver: z.literal('bridge').default('bridge'),
    subnet: z.string().optional().describe('CIDR, e.g. 172.30.0.0/24'),
    gateway: z.string().optional(),
    labels: labels.default({}),
  }),
  'network.remove': empty,
  'network.connect': z.object({ container: z.string().min(1), ipv4: z.string().optional() }),
  'network.disconnect': z.object({ container: z.string().min(1), force: z.boolean().default(false) }),
  'host.refresh': empty,
} as const;

export type CommandOp = keyof typeof COMMAND_PARAMS;
export const COMMAND_OPS = Object.keys(COMMAND_PARAMS) as CommandOp[];
export const CommandOpSchema = z.enum(COMMAND_OPS as [CommandOp, ...CommandOp[]]);
export type CommandParams<Op extends CommandOp> = z.infer<(typeof COMMAND_PARAMS)[Op]>;

// Which runtime can do what; the controller refuses the rest with 422 before anything is sent.
export const RUNTIME_OPS: Record<'docker' | 'lxc', ReadonlySet<CommandOp>> = {
  docker: new Set<CommandOp>([
    'container.create',
    'container.start',
    'container.stop',
    'container.restart',
    'container.kill',
    'container.pause',
    'container.unpause',
    'container.remove',
    'container.rename',
    'container.exec',
    'container.logs',
  ]),
  lxc: new Set<CommandOp>([
    'container.create',
    'container.start',
    'container.stop',
    'container.restart',
    'container.freeze',
    'container.unfreeze',
    'container.remove',
    'container.exec',
    'container.snapshot.create',
    'container.snapshot.list',
    'container.snapshot.restore',
    'container.snapshot.delete',
    'container.clone',
  ]),
};

// The target kind each op acts on.
export function targetKindOf(op: CommandOp): CommandTarget['kind'] {
  if (op === 'container.create' || op === 'host.refresh') return 'host';
  if (op === 'image.prune' || op === 'volume.prune' || op === 'volume.create' || op === 'network.create') return 'host';
  if (op === 'image.import') return 'host';
  return op.split('.')[0] as CommandTarget['kind'];
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
  code: CommandErrorCodeSchema,
  message: z.string(),
  retryable: z.boolean(),
});
export type CommandError = z.infer<typeof CommandErrorSchema>;

// ---- results of the ops that return data ----------------------------------------------

export const ExecResultSchema = z.object({
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean().describe('true when output passed maxOutputBytes and was cut'),
});
export type ExecResult = z.infer<typeof ExecResultSchema>;

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
