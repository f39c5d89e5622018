import { z } from 'zod';

const isoDate = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp');
const labels = z.record(z.string(), z.string()).describe('key/value labels as the engine reports them');

export const RuntimeNameSchema = z.enum(['docker', 'lxc']);
export type RuntimeName = z.infer<typeof RuntimeNameSchema>;

export const RuntimeStatusSchema = z.object({
  name: RuntimeNameSchema,
  available: z.boolean(),
  version: z.string().nullable().describe('engine version when available'),
  reason: z.string().nullable().describe('why the runtime is unavailable, when it is'),
});
export type RuntimeStatus = z.infer<typeof RuntimeStatusSchema>;

export const ContainerStateSchema = z.enum([
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'removing',
  'stopped',
  'starting',
  'stopping',
  'frozen',
  'freezing',
  'thawed',
  'aborting',
  'unknown',
]);
export type ContainerState = z.infer<typeof ContainerStateSchema>;

export const ContainerPortSchema = z.object({
  privatePort: z.number().int().min(0).max(65535),
  publicPort: z.number().int().min(0).max(65535).nullable(),
  protocol: z.string(),
  hostIp: z.string().nullable(),
});

export const ContainerMountSchema = z.object({
  type: z.string().describe('volume, bind, tmpfs, ...'),
  name: z.string().nullable().describe('volume name for volume mounts'),
  source: z.string().nullable(),
  destination: z.string(),
  readOnly: z.boolean(),
});

export const ContainerNetworkSchema = z.object({
  name: z.string().describe('Docker network name, or the LXC interface name (eth0)'),
  ipv4: z.string().nullable(),
  ipv6: z.string().nullable(),
  mac: z.string().nullable(),
  bridge: z.string().nullable().describe('host bridge the interface is linked to, when known'),
});

export const ContainerRecordSchema = z.object({
  runtime: RuntimeNameSchema,
  id: z.string().min(1).describe('engine id: Docker container id, or the LXC container name'),
  name: z.string().min(1),
  lxcPath: z.string().nullable().describe('LXC only: the lxcpath holding the container'),
  image: z.string().nullable(),
  imageId: z.string().nullable(),
  command: z.string().nullable(),
  state: ContainerStateSchema,
  status: z
    .string()
    .nullable()
    .describe('stable engine status without durations, e.g. "running (healthy)", "exited (137)"'),
  createdAt: isoDate.nullable(),
  startedAt: isoDate.nullable(),
  labels,
  ports: z.array(ContainerPortSchema),
  mounts: z.array(ContainerMountSchema),
  networks: z.array(ContainerNetworkSchema),
  ipv4: z.array(z.string()).describe('every IPv4 address of the container'),
  ipv6: z.array(z.string()),
  restartPolicy: z.string().nullable(),
  pid: z.number().int().min(0).max(2_147_483_647).nullable(),
  autostart: z.boolean().nullable(),
  groups: z.array(z.string()),
  memoryBytes: z.number().int().nonnegative().nullable().describe('current memory use, where available'),
});
export type ContainerRecord = z.infer<typeof ContainerRecordSchema>;

export const ImageRecordSchema = z.object({
  id: z.string().min(1),
  tags: z.array(z.string()),
  sizeBytes: z.number().int().nonnegative(),
  createdAt: isoDate.nullable(),
  labels,
});
export type ImageRecord = z.infer<typeof ImageRecordSchema>;

export const VolumeRecordSchema = z.object({
  name: z.string().min(1),
  driver: z.string(),
  mountpoint: z.string().nullable(),
  labels,
  createdAt: isoDate.nullable(),
  usedBy: z.array(z.string()).describe('names of the containers mounting this volume'),
});
export type VolumeRecord = z.infer<typeof VolumeRecordSchema>;

export const NetworkRecordSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  driver: z.string(),
  scope: z.string().nullable(),
  subnets: z.array(z.string()).describe('CIDRs from the network IPAM config'),
  gateways: z.array(z.string()),
  bridge: z.string().nullable().describe('host bridge interface backing the network'),
  internal: z.boolean(),
  labels,
  createdAt: isoDate.nullable(),
});
export type NetworkRecord = z.infer<typeof NetworkRecordSchema>;

export const BridgeAddressSchema = z.object({
  family: z.enum(['inet', 'inet6']),
  address: z.string(),
  prefixLength: z.number().int().min(0).max(128),
});

export const BridgeRecordSchema = z.object({
  name: z.string().min(1),
  mac: z.string().nullable(),
  state: z.string().describe('operstate: UP, DOWN, UNKNOWN, ...'),
  up: z.boolean().describe('administratively up (IFF_UP)'),
  mtu: z.number().int().positive().max(2_147_483_647),
  addresses: z.array(BridgeAddressSchema),
  stp: z.boolean(),
  interfaces: z.array(z.string()).describe('interfaces enslaved to the bridge'),
});
export type BridgeRecord = z.infer<typeof BridgeRecordSchema>;

export const LeaseRecordSchema = z.object({
  source: z.string().min(1).describe('lease file the lease was read from'),
  bridge: z.string().nullable().describe('bridge the lease file serves, when known'),
  expiresAt: isoDate.nullable().describe('null for infinite leases'),
  mac: z.string(),
  ip: z.string(),
  hostname: z.string().nullable(),
  clientId: z.string().nullable(),
});
export type LeaseRecord = z.infer<typeof LeaseRecordSchema>;

export const FindingSeveritySchema = z.enum(['critical', 'warning', 'info']);
export type FindingSeverity = z.infer<typeof FindingSeveritySchema>;

export const FindingFixSchema = z.object({
  command: z.string().describe('the exact command that repairs it, as one would type it on the host'),
  safe: z
    .boolean()
    .describe(
      'Corral can run it itself (POST /hosts/{id}/doctor/fix): enabling forwarding, restarting dnsmasq, adding NAT',
    ),
});
export type FindingFix = z.infer<typeof FindingFixSchema>;

export const FindingRecordSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(300)
    .describe('stable id: the check and what it is about (ip-forward-off, masquerade-missing:10.0.3.0/24, ...)'),
  check: z.string().min(1).describe('the check that found it'),
  severity: FindingSeveritySchema,
  subject: z.string().nullable().describe('what it is about: a bridge, a subnet, a container, a volume, a path'),
  message: z.string().min(1).describe('what is wrong, in one sentence'),
  evidence: z.array(z.string()).describe('the facts that show it, one per line'),
  fix: FindingFixSchema.nullable().describe('the command that repairs it; null when it needs a judgement'),
});
export type FindingRecord = z.infer<typeof FindingRecordSchema>;

export const DiskUsageSchema = z.object({
  path: z.string(),
  totalBytes: z.number().int().nonnegative(),
  availableBytes: z.number().int().nonnegative(),
});

export const HostFactsSchema = z.object({
  hostname: z.string().min(1),
  os: z.string().nullable().describe('PRETTY_NAME from os-release'),
  kernel: z.string(),
  arch: z.string(),
  cpuCount: z.number().int().positive(),
  cpuModel: z.string().nullable(),
  memoryTotalBytes: z.number().int().nonnegative(),
  memoryAvailableBytes: z.number().int().nonnegative(),
  disks: z.array(DiskUsageSchema),
  uptimeSeconds: z.number().nonnegative(),
  ipForward: z.boolean().nullable().describe('net.ipv4.ip_forward in the agent network namespace'),
  runtimes: z.array(RuntimeStatusSchema),
  lxcTemplates: z
    .array(z.string().max(64))
    .max(256)
    .optional()
    .describe("LXC templates installed under the host's template directory, by name (lxc-busybox -> busybox)"),
});
export type HostFacts = z.infer<typeof HostFactsSchema>;

export const RECORD_KINDS = ['container', 'image', 'volume', 'network', 'bridge', 'lease', 'finding'] as const;
export const RecordKindSchema = z.enum(RECORD_KINDS);
export type RecordKind = z.infer<typeof RecordKindSchema>;

export const RECORD_SCHEMAS = {
  container: ContainerRecordSchema,
  image: ImageRecordSchema,
  volume: VolumeRecordSchema,
  network: NetworkRecordSchema,
  bridge: BridgeRecordSchema,
  lease: LeaseRecordSchema,
  finding: FindingRecordSchema,
} as const;

export interface RecordByKind {
  container: ContainerRecord;
  image: ImageRecord;
  volume: VolumeRecord;
  network: NetworkRecord;
  bridge: BridgeRecord;
  lease: LeaseRecord;
  finding: FindingRecord;
}
