import { z } from 'zod';

// Every use of a timestamp says what moment it is (format date-time already says ISO 8601).
const isoDate = z.iso.datetime({ offset: true });
const labels = z
  .record(z.string(), z.string())
  .describe('labels as the engine reports them, key to value (e.g. {"corral.managed": "true"}); {} when none');

export const RuntimeNameSchema = z.enum(['docker', 'lxc']);
export type RuntimeName = z.infer<typeof RuntimeNameSchema>;

export const RuntimeStatusSchema = z.object({
  name: RuntimeNameSchema.describe('the runtime: docker or lxc'),
  available: z.boolean().describe('the agent can use it now (engine reachable, tools installed)'),
  version: z.string().nullable().describe('engine version when available, e.g. "27.3.1" (Docker) or "6.0.4" (LXC)'),
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
  privatePort: z.number().int().min(0).max(65535).describe('port inside the container (0 to 65535)'),
  publicPort: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .nullable()
    .describe('port on the host it is published on; null when exposed but not published'),
  protocol: z.string().describe('tcp, udp or sctp'),
  hostIp: z
    .string()
    .nullable()
    .describe('host address it is bound to (0.0.0.0 or :: for every one); null when unpublished'),
});

export const ContainerMountSchema = z.object({
  type: z.string().describe('volume, bind, tmpfs, ...'),
  name: z.string().nullable().describe('volume name for volume mounts'),
  source: z
    .string()
    .nullable()
    .describe('host path backing the mount (bind source, or the volume directory); null for tmpfs'),
  destination: z.string().describe('absolute path inside the container'),
  readOnly: z.boolean().describe('mounted read-only'),
});

export const ContainerNetworkSchema = z.object({
  name: z.string().describe('Docker network name, or the LXC interface name (eth0)'),
  ipv4: z
    .string()
    .nullable()
    .describe('IPv4 address on this network, without prefix (e.g. 172.17.0.2); null when none'),
  ipv6: z.string().nullable().describe('IPv6 address on this network, without prefix; null when none'),
  mac: z.string().nullable().describe('MAC address of the interface (aa:bb:cc:dd:ee:ff); null when unknown'),
  bridge: z.string().nullable().describe('host bridge the interface is linked to, when known'),
});

export const ContainerRecordSchema = z.object({
  runtime: RuntimeNameSchema.describe('the engine running it: docker or lxc'),
  id: z.string().min(1).describe('engine id: Docker container id, or the LXC container name'),
  name: z.string().min(1).describe('container name, without the leading "/" Docker adds (e.g. web-1)'),
  lxcPath: z.string().nullable().describe('LXC only: the lxcpath holding the container, e.g. /var/lib/lxc'),
  image: z
    .string()
    .nullable()
    .describe('Docker: the image reference it was created from (e.g. busybox:1.36); LXC: null'),
  imageId: z.string().nullable().describe('Docker: the image id (sha256:...); LXC: null'),
  command: z.string().nullable().describe('Docker: the command it runs, as one line; LXC: null'),
  state: ContainerStateSchema.describe(
    'Docker: created, running, paused, restarting, exited, dead or removing; LXC: stopped, starting, running, stopping, frozen, freezing, thawed or aborting; unknown when the engine reports something else',
  ),
  status: z
    .string()
    .nullable()
    .describe('stable engine status without durations, e.g. "running (healthy)", "exited (137)"'),
  createdAt: isoDate.nullable().describe('when the engine created it; null when it does not say (LXC)'),
  startedAt: isoDate.nullable().describe('Docker: when it last started; null when never started, and for LXC'),
  labels,
  ports: z.array(ContainerPortSchema).describe('Docker: ports exposed or published; [] for LXC'),
  mounts: z.array(ContainerMountSchema).describe('Docker: volumes, bind mounts and tmpfs mounts; [] for LXC'),
  networks: z
    .array(ContainerNetworkSchema)
    .describe('one entry per network (Docker) or interface (LXC), with its addresses'),
  ipv4: z.array(z.string()).describe('every IPv4 address of the container'),
  ipv6: z.array(z.string()).describe('every IPv6 address of the container (link-local ones left out)'),
  restartPolicy: z
    .string()
    .nullable()
    .describe(
      'Docker: no, always, unless-stopped, on-failure or on-failure:N (N retries at most); LXC: null (see autostart)',
    ),
  pid: z
    .number()
    .int()
    .min(0)
    .max(2_147_483_647)
    .nullable()
    .describe("host pid of the container's init process while it runs; null when stopped"),
  autostart: z.boolean().nullable().describe('LXC: lxc.start.auto is set; Docker: null (see restartPolicy)'),
  groups: z.array(z.string()).describe('LXC: autostart groups (lxc.group); [] for Docker'),
  memoryBytes: z
    .number()
    .int()
    .nonnegative()
    .nullable()
    .describe('LXC: memory in use in bytes while it runs; null when stopped, and for Docker'),
});
export type ContainerRecord = z.infer<typeof ContainerRecordSchema>;

export const ImageRecordSchema = z.object({
  id: z.string().min(1).describe('Docker image id (sha256:...)'),
  tags: z.array(z.string()).describe('repository:tag names it carries, e.g. ["busybox:1.36"]; [] when untagged'),
  // Older agents send none: an image known only locally has none either.
  repoDigests: z.array(z.string()).optional().describe('repo@sha256:... digests of the registries it came from'),
  sizeBytes: z.number().int().nonnegative().describe('size on disk in bytes, shared layers included'),
  createdAt: isoDate.nullable().describe('when the image was built; null when unknown'),
  labels,
});
export type ImageRecord = z.infer<typeof ImageRecordSchema>;

export const VolumeRecordSchema = z.object({
  name: z.string().min(1).describe('volume name, unique on its host'),
  driver: z.string().describe('volume driver, e.g. local'),
  mountpoint: z
    .string()
    .nullable()
    .describe('where the volume lives on the host, e.g. /var/lib/docker/volumes/x/_data'),
  labels,
  createdAt: isoDate.nullable().describe('when Docker created it; null when unknown'),
  usedBy: z.array(z.string()).describe('names of the containers mounting this volume'),
});
export type VolumeRecord = z.infer<typeof VolumeRecordSchema>;

export const NetworkRecordSchema = z.object({
  id: z.string().min(1).describe('Docker network id'),
  name: z.string().min(1).describe('network name, e.g. bridge or app-net'),
  driver: z.string().describe('network driver: bridge, host, null, overlay, macvlan, ...'),
  scope: z.string().nullable().describe('local, swarm or global; null when unknown'),
  subnets: z.array(z.string()).describe('CIDRs from the network IPAM config'),
  gateways: z.array(z.string()).describe('gateway addresses from the IPAM config, one per subnet that has one'),
  bridge: z.string().nullable().describe('host bridge interface backing the network'),
  internal: z.boolean().describe('no route to the outside (docker network create --internal)'),
  labels,
  createdAt: isoDate.nullable().describe('when Docker created it; null when unknown'),
});
export type NetworkRecord = z.infer<typeof NetworkRecordSchema>;

export const BridgeAddressSchema = z.object({
  family: z.enum(['inet', 'inet6']).describe('inet (IPv4) or inet6 (IPv6)'),
  address: z.string().describe('the address without prefix, e.g. 10.0.3.1'),
  prefixLength: z
    .number()
    .int()
    .min(0)
    .max(128)
    .describe('prefix length in bits (0 to 32 for IPv4, 0 to 128 for IPv6)'),
});

export const BridgeRecordSchema = z.object({
  name: z.string().min(1).describe('interface name, e.g. lxcbr0 or docker0'),
  mac: z.string().nullable().describe('MAC address of the bridge; null when it has none'),
  state: z.string().describe('operstate: UP, DOWN, UNKNOWN, ...'),
  up: z.boolean().describe('administratively up (IFF_UP)'),
  mtu: z.number().int().positive().max(2_147_483_647).describe('MTU in bytes, e.g. 1500'),
  addresses: z.array(BridgeAddressSchema).describe('IPv4 and IPv6 addresses on the bridge'),
  stp: z.boolean().describe('spanning tree protocol is on'),
  interfaces: z.array(z.string()).describe('interfaces enslaved to the bridge'),
});
export type BridgeRecord = z.infer<typeof BridgeRecordSchema>;

export const LeaseRecordSchema = z.object({
  source: z.string().min(1).describe('lease file the lease was read from'),
  bridge: z.string().nullable().describe('bridge the lease file serves, when known'),
  expiresAt: isoDate.nullable().describe('null for infinite leases'),
  mac: z.string().describe('MAC address of the client, lower case'),
  ip: z.string().describe('the leased address'),
  hostname: z.string().nullable().describe('hostname the DHCP client sent; null when none'),
  clientId: z.string().nullable().describe('DHCP client identifier (option 61); null when none'),
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
  severity: FindingSeveritySchema.describe(
    'critical: breaks containers now; warning: will break something or wastes resources; info: worth knowing',
  ),
  subject: z.string().nullable().describe('what it is about: a bridge, a subnet, a container, a volume, a path'),
  message: z.string().min(1).describe('what is wrong, in one sentence'),
  evidence: z.array(z.string()).describe('the facts that show it, one per line'),
  fix: FindingFixSchema.nullable().describe('the command that repairs it; null when it needs a judgement'),
});
export type FindingRecord = z.infer<typeof FindingRecordSchema>;

export const DiskUsageSchema = z.object({
  path: z.string().describe('mount point measured, e.g. / or /var/lib/docker'),
  totalBytes: z.number().int().nonnegative().describe('size of the file system in bytes'),
  availableBytes: z.number().int().nonnegative().describe('bytes free for unprivileged use'),
});

export const HostFactsSchema = z.object({
  hostname: z.string().min(1).describe('system hostname as the agent reads it'),
  os: z.string().nullable().describe('PRETTY_NAME from os-release'),
  kernel: z.string().describe('kernel release (uname -r)'),
  arch: z.string().describe('CPU architecture, e.g. x64 or arm64'),
  cpuCount: z.number().int().positive().describe('logical CPUs'),
  cpuModel: z.string().nullable().describe('CPU model name; null when unknown'),
  memoryTotalBytes: z.number().int().nonnegative().describe('physical memory in bytes'),
  memoryAvailableBytes: z.number().int().nonnegative().describe('memory available in bytes when the facts were read'),
  disks: z.array(DiskUsageSchema).describe("file systems holding the agent's state dir and its lxcpaths"),
  uptimeSeconds: z.number().nonnegative().describe('seconds since the host booted'),
  ipForward: z.boolean().nullable().describe('net.ipv4.ip_forward in the agent network namespace'),
  runtimes: z.array(RuntimeStatusSchema).describe('Docker and LXC as the agent found them'),
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
