import { z } from 'zod';
import { CreateGrantsSchema } from '../create-policy.js';
import { IMAGE_NAME_MAX, parseImageReference } from '../image-reference.js';

// Parameters of each op; the registry (registry.ts) names which op takes which.

export const nameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'letters, digits, "_", "." and "-", starting with a letter or digit');
const argv = z.array(z.string()).min(1).describe('program and arguments, not a shell string');
const env = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string())
  .describe('environment variables, NAME: value');
const labels = z.record(z.string().min(1), z.string()).describe('labels to set, key to value, e.g. {"team": "web"}');
const timeoutSeconds = z.number().int().min(0).max(3600).describe('seconds, 0 to 3600');
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

// A registry's credential, added by the controller to the frame of a command that pulls from a
// registry it has one for (/api/v1/registries); never accepted from a client, never stored with the command.
export const RegistryAuthSchema = z
  .strictObject({
    serveraddress: z.string().min(1).describe('registry address, host[:port]'),
    username: z.string().optional().describe('user name to log in with'),
    password: z.string().optional().describe('password (from the registry record, opened only for this frame)'),
    identitytoken: z.string().optional().describe('a token instead of a password'),
    insecure: z.boolean().default(false).describe('the registry speaks plain HTTP'),
  })
  .describe('set by the controller from the registries (admin); a request naming it is refused');
export type RegistryAuth = z.infer<typeof RegistryAuthSchema>;

export const PullPolicySchema = z
  .enum(['missing', 'always', 'never'])
  .default('missing')
  .describe('pull the image first: when the host lacks it (missing), every time (always), or never');

// What the controller puts in, not clients: refused by the API with a 400 naming the field.
export const CONTROLLER_ONLY_PARAMS = ['registryAuth'] as const;

export const DockerCreateParamsSchema = z.object({
  runtime: z.literal('docker').describe('docker: a Docker container (the fields below apply)'),
  image: ImageReferenceSchema,
  pull: PullPolicySchema,
  registryAuth: RegistryAuthSchema.optional(),
  name: nameSchema.optional().describe('container name; Docker picks one when absent'),
  command: argv.optional(),
  env: env.default({}),
  labels: labels.default({}),
  ports: z
    .array(
      z.object({
        containerPort: z.number().int().min(1).max(65535).describe('port inside the container, 1 to 65535'),
        hostPort: z.number().int().min(0).max(65535).optional().describe('0 or absent: any free port'),
        protocol: z.enum(['tcp', 'udp']).default('tcp').describe('tcp (default) or udp'),
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
        readOnly: z.boolean().default(false).describe('mount it read-only (default false)'),
      }),
    )
    .default([])
    .describe('volumes and bind mounts; bind mounts need a create policy granting the host path'),
  network: z.string().optional().describe('Docker network to join (default: bridge)'),
  restartPolicy: z
    .enum(['no', 'always', 'unless-stopped', 'on-failure'])
    .default('no')
    .describe("Docker's restart policy (default no)"),
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
  runtime: z.literal('lxc').describe('lxc: an LXC container (the fields below apply)'),
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
  timeoutSeconds: timeoutSeconds
    .optional()
    .describe('kill the program after this many seconds (0 to 3600; default: no limit)'),
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
    .default('SIGKILL')
    .describe('signal to send, by name: SIGTERM, HUP, SIGUSR1, ... (default SIGKILL)'),
});
export const RemoveParamsSchema = z.object({
  force: z.boolean().default(false).describe('remove it even while running'),
  volumes: z.boolean().default(false).describe('docker: remove its anonymous volumes too'),
});
export const RenameParamsSchema = z.object({ name: nameSchema.describe('the new name') });
export const LogsParamsSchema = z.object({
  tail: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(100)
    .describe('lines from the end of the log, 0 to 100000 (default 100)'),
  since: z.iso.datetime({ offset: true }).optional().describe('only lines after this time'),
  timestamps: z.boolean().default(false).describe('prefix each line with its time'),
});
export const SnapshotCreateParamsSchema = z.object({
  comment: z.string().max(1000).optional().describe('a note kept with the snapshot, up to 1000 characters'),
});
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
export const ImagePullParamsSchema = z.object({
  reference: ImageReferenceSchema.describe(
    'what to pull: [registry[:port]/]name[:tag] or name@sha256:...; no registry means docker.io',
  ),
  platform: z
    .string()
    .regex(/^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/, 'os/arch[/variant], e.g. linux/amd64')
    .optional()
    .describe("os/arch[/variant] to pull (default: the host's)"),
  registryAuth: RegistryAuthSchema.optional(),
});
export const ImageLoadParamsSchema = z.object({
  uploadId: z.string().min(1).describe('id of a `docker save` archive uploaded through the API'),
});
// A copy's receiving side: the archive streams from the source host's save, through the controller.
export const ImageCopyParamsSchema = z.object({
  uploadId: z.string().min(1).describe('id of the transfer the controller relays from the source host'),
  fromHostId: z.guid().describe('Corral id of the host the image is copied from'),
  fromImage: z.string().min(1).describe('Docker image id on the source host'),
  sizeBytes: z.number().int().nonnegative().nullable().default(null).describe('size of the image on the source host'),
});
export const ImageSaveParamsSchema = z.object({
  transferId: z.string().min(1).describe('id of the transfer the agent streams the archive into'),
});
// container.archive and container.restore: an LXC container's directory (config and rootfs)
// streamed from its host to another through the controller's transfer relay (copy and move).
export const ContainerArchiveParamsSchema = z.object({
  transferId: z.string().min(1).describe('id of the transfer the agent streams the tar of the container into'),
});
export const ContainerRestoreParamsSchema = z.object({
  uploadId: z.string().min(1).describe('id of the transfer the controller relays from the source host'),
  name: nameSchema.describe('name of the container on this host'),
  sourceName: nameSchema.describe('name of the container in the archive (its directory)'),
  fromHostId: z.guid().describe('Corral id of the host the container comes from'),
  lxcPath: z.string().min(1).nullable().default(null).describe("lxcpath to restore into; null: the agent's first"),
  bridge: z
    .string()
    .min(1)
    .max(15)
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .nullable()
    .default(null)
    .describe('bridge every veth interface is linked to on this host; null keeps the links of the config'),
  start: z.boolean().default(true).describe('start the container once restored'),
  policyGrants: CreateGrantsSchema.nullable()
    .default(null)
    .describe(
      "the controller's create policy grants for this host, applied to the restored config with the agent's own",
    ),
});
// container.spec, volume.archive and volume.restore: a Docker container's own create spec and its
// named volumes' contents, for a move to another host.
export const VolumeArchiveParamsSchema = z.object({
  transferId: z.string().min(1).describe("id of the transfer the agent streams a tar of the volume's contents into"),
});
export const VolumeRestoreParamsSchema = z.object({
  uploadId: z.string().min(1).describe('id of the transfer the controller relays from the source host'),
  name: z.string().min(1).max(255).describe('name of the volume to create and fill on this host'),
  labels: z.record(z.string(), z.string()).default({}).describe('labels of the new volume'),
});
export const ContainerCommitParamsSchema = z.object({
  reference: ImageTagReferenceSchema.describe('repository[:tag] of the new image'),
  message: z.string().max(4096).optional().describe('commit message'),
  changes: z
    .array(z.string().min(1).max(4096))
    .max(64)
    .default([])
    .describe('Dockerfile instructions to apply, e.g. "ENV A=1" or "CMD ["sleep","1"]"'),
  pause: z.boolean().default(true).describe('pause the container while committing'),
});
export const ImageTagParamsSchema = z.object({ reference: ImageTagReferenceSchema.describe('repository:tag to add') });
export const ForceParamsSchema = z.object({
  force: z.boolean().default(false).describe('remove it even while in use (default false)'),
});
export const VolumeCreateParamsSchema = z.object({
  name: nameSchema.describe('volume name'),
  driver: z.string().default('local').describe('volume driver installed on the host (default local)'),
  labels: labels.default({}),
});
export const NetworkCreateParamsSchema = z.object({
  name: nameSchema.describe('network name'),
  driver: z.literal('bridge').default('bridge').describe('only bridge networks can be made'),
  subnet: z.string().optional().describe('CIDR, e.g. 172.30.0.0/24'),
  gateway: z.string().optional().describe('gateway address inside the subnet, e.g. 172.30.0.1 (default: Docker picks)'),
  labels: labels.default({}),
});
export const NetworkConnectParamsSchema = z.object({
  container: z.string().min(1).describe('Corral id of a container on the same host, or its Docker id or name'),
  ipv4: z.string().optional().describe('address to give it on this network'),
});
export const NetworkDisconnectParamsSchema = z.object({
  container: z.string().min(1).describe('Corral id of a container on the same host, or its Docker id or name'),
  force: z.boolean().default(false).describe('force the disconnect (docker network disconnect --force)'),
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
