import { z } from 'zod';
import { FindingRecordSchema } from '../records.js';

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

export const DoctorResultSchema = z.looseObject({
  findings: z.array(FindingRecordSchema).describe('every finding of this run; none when the host is healthy'),
});

export const DoctorFixResultSchema = z.looseObject({
  finding: z.string().describe('id of the finding repaired'),
  command: z.string().describe('the command the agent ran'),
  cleared: z.boolean().describe('the checks ran again afterwards and no longer find it'),
  findings: z.array(FindingRecordSchema).describe('every finding after the repair'),
});
