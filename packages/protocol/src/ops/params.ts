import { z } from 'zod';
import { IMAGE_NAME_MAX, parseImageReference } from '../image-reference.js';

// Parameters of each op; the registry (registry.ts) names which op takes which.

export const nameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'letters, digits, "_", "." and "-", starting with a letter or digit');
const argv = z.array(z.string()).min(1).describe('program and arguments, not a shell string');
const env = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string())
  .describe('environment variables, NAME: value');
const labels = z.record(z.string().min(1), z.string()).describe('key/value labels');
const timeoutSeconds = z.number().int().min(0).max(3600);
const memoryBytes = z
  .number()
  .int()
  .min(6 * 1024 * 1024)
  .describe('memory limit in bytes (at least 6 MiB); placement counts it against the host');
const cpus = z.number().positive().max(1024).describe('CPU limit in cores (0.5 = half a core)');

export const empty = z.object({}).strict();

// Image references are checked by Docker's grammar before anything runs: "x:y:z" is a 400 naming
// the rule, not a stray image on a host.
const imageReference = (digest: boolean) =>
  z
    .string()
    .max(IMAGE_NAME_MAX + 256)
    .superRefine((text, ctx) => {
      const check = parseImageReference(text, { digest });
      if (!check.ok) ctx.addIssue({ code: 'custom', message: `not a valid image reference: ${check.rule}` });
    });

// An image to run: name, name:tag, name@digest, or an image id.
export const ImageReferenceSchema = imageReference(true).describe(
  'image reference: [registry[:port]/]name[:tag][@digest], or an image id',
);

// A name to give an image (tag, import): name or name:tag, no digest.
export const ImageTagReferenceSchema = imageReference(false).describe(
  'repository[:tag] to give the image, e.g. busybox:local or registry:5000/team/app:1.2',
);

export const DockerCreateParamsSchema = z.object({
  runtime: z.literal('docker'),
  image: ImageReferenceSchema,
  name: nameSchema.optional().describe('container name; Docker picks one when absent'),
  command: argv.optional(),
  env: env.default({}),
  labels: labels.default({}),
  ports: z
    .array(
      z.object({
        containerPort: z.number().int().min(1).max(65535),
        hostPort: z.number().int().min(0).max(65535).optional().describe('0 or absent: any free port'),
        protocol: z.enum(['tcp', 'udp']).default('tcp'),
        hostIp: z.string().optional().describe('host address to bind (default: every address)'),
      }),
    )
    .default([])
    .describe('ports published on the host'),
  mounts: z
    .array(
      z.object({
        source: z.string().min(1).describe('a volume name, or an absolute host path for a bind mount'),
        target: z.string().startsWith('/').describe('path inside the container'),
        readOnly: z.boolean().default(false),
      }),
    )
    .default([]),
  network: z.string().optional().describe('Docker network to join (default: bridge)'),
  restartPolicy: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).default('no'),
  memoryBytes: memoryBytes.optional(),
  cpus: cpus.optional(),
  start: z.boolean().default(true).describe('start it once created'),
  force: z
    .boolean()
    .default(false)
    .describe(
      'mount volumes even when another image family used them last (the volume guard answers 409 otherwise); audited',
    ),
});

export const LxcCreateParamsSchema = z.object({
  runtime: z.literal('lxc'),
  name: nameSchema.describe('container name, unique in its lxcpath'),
  template: z.string().min(1).default('busybox').describe('LXC template name (lxc-create -t)'),
  templateArgs: z.array(z.string()).default([]).describe('arguments after -- for the template'),
  lxcPath: z.string().startsWith('/').optional().describe("lxcpath to create it in (default: the agent's first)"),
  config: z
    .record(z.string().regex(/^lxc\.[a-z0-9_.]+$/, 'an lxc.* key'), z.string())
    .default({})
    .describe('lxc.* config keys to set'),
  memoryBytes: memoryBytes.optional(),
  cpus: cpus.optional(),
  start: z.boolean().default(true).describe('start it once created'),
});

export const ContainerCreateParamsSchema = z.discriminatedUnion('runtime', [
  DockerCreateParamsSchema,
  LxcCreateParamsSchema,
]);
export type ContainerCreateParams = z.infer<typeof ContainerCreateParamsSchema>;

export const ExecParamsSchema = z.object({
  command: argv,
  env: env.default({}),
  workdir: z.string().startsWith('/').optional().describe('working directory inside the container'),
  user: z.string().optional().describe('user to run as (name or uid)'),
  maxOutputBytes: z
    .number()
    .int()
    .min(1)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('stdout and stderr are each cut after this many bytes'),
  timeoutSeconds: timeoutSeconds.optional().describe('kill the program after this long'),
});

export const StopParamsSchema = z.object({
  timeoutSeconds: timeoutSeconds.default(10).describe('seconds between SIGTERM and SIGKILL'),
  kill: z.boolean().default(false).describe('LXC: kill at once instead of a clean shutdown'),
});
export const RestartParamsSchema = z.object({
  timeoutSeconds: timeoutSeconds.default(10).describe('seconds between SIGTERM and SIGKILL'),
});
export const KillParamsSchema = z.object({
  signal: z
    .string()
    .regex(/^(SIG)?[A-Z0-9]+$/, 'a signal name such as SIGTERM or HUP')
    .default('SIGKILL'),
});
export const RemoveParamsSchema = z.object({
  force: z.boolean().default(false).describe('remove it even while running'),
  volumes: z.boolean().default(false).describe('docker: remove its anonymous volumes too'),
});
export const RenameParamsSchema = z.object({ name: nameSchema.describe('the new name') });
export const LogsParamsSchema = z.object({
  tail: z.number().int().min(0).max(100_000).default(100).describe('lines from the end'),
  since: z.iso.datetime({ offset: true }).optional().describe('only lines after this time'),
  timestamps: z.boolean().default(false).describe('prefix each line with its time'),
});
export const SnapshotCreateParamsSchema = z.object({ comment: z.string().max(1000).optional() });
export const SnapshotRestoreParamsSchema = z.object({
  snapshot: z.string().min(1).describe('snapshot name, as snapshot.list reports it (snap0, ...)'),
  newName: nameSchema.optional().describe('restore into a new container of this name instead'),
});
export const SnapshotDeleteParamsSchema = z.object({
  snapshot: z.string().min(1).describe('snapshot name, as snapshot.list reports it (snap0, ...)'),
});
export const CloneParamsSchema = z.object({
  newName: nameSchema.describe('name of the copy'),
  snapshot: z.boolean().default(false).describe('copy-on-write clone (overlay) instead of a full copy'),
});
export const ImageImportParamsSchema = z.object({
  uploadId: z.string().min(1).describe('id of a rootfs tarball uploaded through the API'),
  reference: ImageTagReferenceSchema,
});
export const ImageTagParamsSchema = z.object({ reference: ImageTagReferenceSchema.describe('repository:tag to add') });
export const ForceParamsSchema = z.object({ force: z.boolean().default(false).describe('even while in use') });
export const VolumeCreateParamsSchema = z.object({
  name: nameSchema.describe('volume name'),
  driver: z.string().default('local'),
  labels: labels.default({}),
});
export const NetworkCreateParamsSchema = z.object({
  name: nameSchema.describe('network name'),
  driver: z.literal('bridge').default('bridge'),
  subnet: z.string().optional().describe('CIDR, e.g. 172.30.0.0/24'),
  gateway: z.string().optional(),
  labels: labels.default({}),
});
export const NetworkConnectParamsSchema = z.object({
  container: z.string().min(1).describe('Corral id of a container on the same host, or its Docker id or name'),
  ipv4: z.string().optional().describe('address to give it on this network'),
});
export const NetworkDisconnectParamsSchema = z.object({
  container: z.string().min(1).describe('Corral id of a container on the same host, or its Docker id or name'),
  force: z.boolean().default(false),
});

export const DoctorFixParamsSchema = z
  .object({
    finding: z
      .string()
      .min(1)
      .max(300)
      .describe('id of the finding to repair, as GET /hosts/{id}/doctor lists it (ip-forward-off, ...)'),
  })
  .strict();
