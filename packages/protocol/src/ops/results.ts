import { z } from 'zod';
import { FindingRecordSchema } from '../records.js';

// Results of each op as the agent answers them. Objects stay open (looseObject): an agent newer
// than its controller may add fields, and the controller adds the Corral ids of what an op made.

const lxcRef = {
  name: z.string().describe('the LXC container name'),
  lxcPath: z.string().describe('the lxcpath holding it'),
};
const containerIds = {
  containerId: z.guid().nullable().optional().describe('Corral id of the container (once the inventory has it)'),
};

// Exactly this shape: the provenance records read it (origin "pulled").
export const ImagePullResultSchema = z.object({
  imageId: z.string().describe('Docker image id (sha256:...) of what was pulled'),
  reference: z.string().describe('the reference as asked for'),
  digest: z.string().nullable().describe('repo digest (name@sha256:...) the registry served, when it reported one'),
  registry: z.string().describe("the reference's registry (docker.io when it names none)"),
});

export const ContainerCreateResultSchema = z.looseObject({
  ...containerIds,
  engineId: z.string().optional().describe('Docker container id, or the LXC container name'),
  id: z.string().optional().describe('docker: the engine id (same as engineId)'),
  name: z.string().describe('the container name'),
  lxcPath: z.string().optional().describe('lxc: the lxcpath it was made in'),
  state: z.string().optional().describe('its state once created (running when started)'),
  pulled: ImagePullResultSchema.optional().describe(
    'docker: the image the create pulled first (pull missing or always), as image.pull answers; the controller records it with origin pulled. Absent when it pulled nothing',
  ),
});

export const ContainerStateResultSchema = z.looseObject({
  id: z.string().optional().describe('docker: the engine id'),
  name: z.string().optional().describe('lxc: the container name'),
  lxcPath: z.string().optional().describe('lxc: the lxcpath holding it'),
  state: z.string().optional().describe('lxc: the state afterwards'),
  changed: z.boolean().optional().describe('docker: false when it was already so'),
  signal: z.string().optional().describe('kill: the signal sent'),
});

export const ContainerRemoveResultSchema = z.looseObject({
  id: z.string().optional().describe('docker: the engine id of the removed container'),
  name: z.string().optional().describe('lxc: the container name'),
  lxcPath: z.string().optional().describe('lxc: the lxcpath that held it'),
  removed: z.boolean().optional().describe('true once it is gone'),
});

export const ExecResultSchema = z.object({
  exitCode: z.number().int().nullable().describe('null when the process did not exit (killed on abort)'),
  stdout: z.string().describe('standard output, up to maxOutputBytes'),
  stderr: z.string().describe('standard error, up to maxOutputBytes'),
  truncated: z.boolean().describe('true when output passed maxOutputBytes and was cut'),
});
export type ExecResult = z.infer<typeof ExecResultSchema>;

export const LogsResultSchema = z.looseObject({
  stdout: z.string().describe('log lines written to stdout'),
  stderr: z.string().describe('log lines written to stderr'),
  truncated: z.boolean().describe('true when the log passed the output cap and was cut'),
});

export const LxcSnapshotSchema = z.object({
  name: z.string().describe('snap0, snap1, ...'),
  createdAt: z.string().nullable().describe('when it was taken, as LXC reports it; null when unknown'),
  comment: z.string().nullable().optional().describe('the comment given when it was taken'),
});

export const SnapshotCreateResultSchema = z.looseObject({
  ...lxcRef,
  snapshot: z.string().describe('name of the new snapshot (snap0, snap1, ...)'),
  createdAt: z.string().nullable().describe('when it was taken, as LXC reports it; null when unknown'),
});
export const SnapshotListResultSchema = z.looseObject({
  ...lxcRef,
  snapshots: z.array(z.looseObject({})).describe('the snapshots: name, createdAt, comment (LxcSnapshotSchema)'),
});
export const SnapshotRestoreResultSchema = z.looseObject({
  ...lxcRef,
  ...containerIds,
  restoredFrom: z.string().describe('the snapshot restored'),
});
export const SnapshotDeleteResultSchema = z.looseObject({
  ...lxcRef,
  snapshot: z.string().describe('the snapshot deleted'),
  deleted: z.boolean().describe('true once it is gone'),
});
export const CloneResultSchema = z.looseObject({
  ...lxcRef,
  ...containerIds,
  source: z.string().describe('name of the container copied'),
  snapshot: z.boolean().describe('true for a copy-on-write clone'),
});

export const ImageResultSchema = z.looseObject({
  imageId: z.guid().nullable().optional().describe('Corral id of the image (once the inventory has it)'),
  id: z.string().describe('Docker image id'),
  reference: z.string().optional().describe('the repository:tag it was given'),
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
  id: z.string().describe('the image asked for'),
  untagged: z.array(z.string()).describe('repository:tag names removed'),
  deleted: z.array(z.string()).describe('image and layer ids deleted'),
});
export const PruneResultSchema = z.looseObject({
  removed: z.array(z.string()).describe('ids (images) or names (volumes) removed'),
  spaceReclaimed: z.number().describe('bytes freed'),
});
export const VolumeResultSchema = z.looseObject({
  name: z.string().describe('the volume name'),
  driver: z.string().optional().describe('create: its driver'),
  mountpoint: z.string().optional().describe('create: where it lives on the host'),
});
export const NetworkResultSchema = z.looseObject({
  id: z.string().describe('the Docker network id'),
  name: z.string().optional().describe('the network name'),
  container: z.string().optional().describe('connect, disconnect: the container'),
});
export const EmptyResultSchema = z.looseObject({});

export const DoctorResultSchema = z.looseObject({
  findings: z.array(FindingRecordSchema).describe('every finding of this run; none when the host is healthy'),
});

export const DoctorFixResultSchema = z.looseObject({
  finding: z.string().describe('id of the finding repaired'),
  command: z.string().describe('the command the agent ran'),
  cleared: z.boolean().describe('the checks ran again afterwards and no longer find it'),
  findings: z.array(FindingRecordSchema).describe('every finding after the repair'),
});
