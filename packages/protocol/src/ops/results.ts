import { z } from 'zod';

// Results of each op as the agent answers them. Objects stay open (looseObject): an agent newer
// than its controller may add fields, and the controller adds the Corral ids of what an op made.

const lxcRef = { name: z.string(), lxcPath: z.string() };
const containerIds = {
  containerId: z.guid().nullable().optional().describe('Corral id of the container (once the inventory has it)'),
};

export const ContainerCreateResultSchema = z.looseObject({
  ...containerIds,
  engineId: z.string().optional().describe('Docker container id, or the LXC container name'),
  id: z.string().optional().describe('docker: the engine id (same as engineId)'),
  name: z.string(),
  lxcPath: z.string().optional().describe('lxc: the lxcpath it was made in'),
  state: z.string().optional(),
});

export const ContainerStateResultSchema = z.looseObject({
  id: z.string().optional().describe('docker: the engine id'),
  name: z.string().optional().describe('lxc: the container name'),
  lxcPath: z.string().optional(),
  state: z.string().optional().describe('lxc: the state afterwards'),
  changed: z.boolean().optional().describe('docker: false when it was already so'),
  signal: z.string().optional(),
});

export const ContainerRemoveResultSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  lxcPath: z.string().optional(),
  removed: z.boolean().optional(),
});

export const ExecResultSchema = z.object({
  exitCode: z.number().int().nullable().describe('null when the process did not exit (killed on abort)'),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean().describe('true when output passed maxOutputBytes and was cut'),
});
export type ExecResult = z.infer<typeof ExecResultSchema>;

export const LogsResultSchema = z.looseObject({
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
});

export const LxcSnapshotSchema = z.object({
  name: z.string().describe('snap0, snap1, ...'),
  createdAt: z.string().nullable(),
  comment: z.string().nullable().optional(),
});

export const SnapshotCreateResultSchema = z.looseObject({
  ...lxcRef,
  snapshot: z.string(),
  createdAt: z.string().nullable(),
});
export const SnapshotListResultSchema = z.looseObject({ ...lxcRef, snapshots: z.array(z.looseObject({})) });
export const SnapshotRestoreResultSchema = z.looseObject({ ...lxcRef, ...containerIds, restoredFrom: z.string() });
export const SnapshotDeleteResultSchema = z.looseObject({ ...lxcRef, snapshot: z.string(), deleted: z.boolean() });
export const CloneResultSchema = z.looseObject({
  ...lxcRef,
  ...containerIds,
  source: z.string(),
  snapshot: z.boolean(),
});

export const ImageResultSchema = z.looseObject({
  imageId: z.guid().nullable().optional().describe('Corral id of the image (once the inventory has it)'),
  id: z.string().describe('Docker image id'),
  reference: z.string().optional(),
});
export const ImageLoadResultSchema = z.looseObject({
  imageId: z.guid().nullable().optional().describe('Corral id of the image (once the inventory has it)'),
  id: z.string().describe('Docker image id of the (first) image loaded'),
  tags: z.array(z.string()).describe('repository:tags the archive gave it'),
  images: z.array(z.string()).describe('Docker image ids of every image in the archive'),
  bytes: z.number().describe('bytes of the archive read'),
});
export const ImageSaveResultSchema = z.looseObject({
  id: z.string().describe('Docker image id saved'),
  bytes: z.number().describe('bytes of the archive sent'),
});
export const ContainerArchiveResultSchema = z.looseObject({
  name: z.string().describe('the container archived'),
  bytes: z.number().describe('bytes of the archive sent'),
});
export const ContainerRestoreResultSchema = z.looseObject({
  ...lxcRef,
  ...containerIds,
  state: z.string().describe('its state once restored'),
  hwaddrs: z.array(z.string()).describe('the fresh MAC of each network interface'),
  bytes: z.number().describe('bytes of the archive read'),
});
export const ContainerSpecResultSchema = z.looseObject({
  spec: z.record(z.string(), z.unknown()).describe('the container.create params (runtime docker) that make it again'),
  imageId: z.string().describe('the Docker image id it runs'),
  volumes: z.array(z.string()).describe('named volumes it mounts'),
  binds: z.array(z.string()).describe('host paths it bind-mounts'),
});
export const VolumeArchiveResultSchema = z.looseObject({
  name: z.string().describe('the volume archived'),
  bytes: z.number().describe('bytes of the archive sent'),
});
export const VolumeRestoreResultSchema = z.looseObject({
  name: z.string().describe('the volume made'),
  bytes: z.number().describe('bytes of the archive read'),
});
export const ImageRemoveResultSchema = z.looseObject({
  id: z.string(),
  untagged: z.array(z.string()),
  deleted: z.array(z.string()),
});
export const PruneResultSchema = z.looseObject({
  removed: z.array(z.string()),
  spaceReclaimed: z.number(),
});
export const VolumeResultSchema = z.looseObject({
  name: z.string(),
  driver: z.string().optional(),
  mountpoint: z.string().optional(),
});
export const NetworkResultSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  container: z.string().optional(),
});
export const EmptyResultSchema = z.looseObject({});
