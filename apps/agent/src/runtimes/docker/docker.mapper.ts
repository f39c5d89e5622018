import type { ContainerRecord, ContainerState, ImageRecord, NetworkRecord, VolumeRecord } from '@corral/protocol';
import type Dockerode from 'dockerode';

// What the list call lacks and only inspect knows.
export interface InspectDetail {
  startedAt: string | null;
  restartPolicy: string | null;
  pid: number | null;
  exitCode: number | null;
  // Health check status (starting, healthy, unhealthy); null without a health check.
  health: string | null;
}

// Docker network name and id -> host bridge interface, for attributing container interfaces.
export type BridgeLookup = ReadonlyMap<string, string | null>;

// The list API returns CreatedAt, which the typings omit.
export type VolumeInfo = Dockerode.VolumeInspectInfo & { CreatedAt?: string };

const DOCKER_STATES: ReadonlySet<string> = new Set([
  'created',
  'running',
  'paused',
  'restarting',
  'exited',
  'dead',
  'removing',
]);

export function mapContainerState(state: string): ContainerState {
  const lower = state.toLowerCase();
  return DOCKER_STATES.has(lower) ? (lower as ContainerState) : 'unknown';
}

// Docker reports "never" as the zero time 0001-01-01T00:00:00Z.
export function dockerTime(value: string | undefined | null): string | null {
  if (!value || value.startsWith('0001-01-01')) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function epochToIso(seconds: number | undefined | null): string | null {
  if (!seconds || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString();
}

export function pickInspectDetail(inspect: Dockerode.ContainerInspectInfo): InspectDetail {
  const policy = inspect.HostConfig?.RestartPolicy;
  let restartPolicy: string | null = null;
  if (policy) {
    const name = policy.Name || 'no';
    restartPolicy = name === 'on-failure' && policy.MaximumRetryCount ? `${name}:${policy.MaximumRetryCount}` : name;
  }
  const health = inspect.State?.Health?.Status;
  return {
    startedAt: dockerTime(inspect.State?.StartedAt),
    restartPolicy,
    pid: inspect.State?.Pid ? inspect.State.Pid : null,
    exitCode: typeof inspect.State?.ExitCode === 'number' ? inspect.State.ExitCode : null,
    health: health && health !== 'none' ? health : null,
  };
}

// Docker's Status text ("Up 3 minutes") changes every minute; this says the same without the durations.
export function containerStatus(state: string, detail: InspectDetail | null): string {
  const lower = state.toLowerCase() || 'unknown';
  const code = detail?.exitCode ?? null;
  switch (lower) {
    case 'running':
      if (!detail?.health) return 'running';
      return detail.health === 'starting' ? 'running (health: starting)' : `running (${detail.health})`;
    case 'exited':
    case 'restarting':
      return code === null ? lower : `${lower} (${code})`;
    default:
      return lower;
  }
}

export function mapContainer(
  info: Dockerode.ContainerInfo,
  detail: InspectDetail | null,
  bridges: BridgeLookup,
): ContainerRecord {
  const endpoints = Object.entries(info.NetworkSettings?.Networks ?? {});
  const networks = endpoints.map(([name, ep]) => ({
    name,
    ipv4: ep.IPAddress || null,
    ipv6: ep.GlobalIPv6Address || null,
    mac: ep.MacAddress || null,
    bridge: (ep.NetworkID ? bridges.get(ep.NetworkID) : undefined) ?? bridges.get(name) ?? null,
  }));
  const name = info.Names?.[0]?.replace(/^\//, '') || info.Id.slice(0, 12);
  return {
    runtime: 'docker',
    id: info.Id,
    name,
    lxcPath: null,
    image: info.Image || null,
    imageId: info.ImageID || null,
    command: info.Command || null,
    state: mapContainerState(info.State),
    status: containerStatus(info.State, detail),
    createdAt: epochToIso(info.Created),
    startedAt: detail?.startedAt ?? null,
    labels: info.Labels ?? {},
    // Docker builds both lists from Go maps, so their order changes from one call to the next.
    ports: (info.Ports ?? [])
      .map((p) => ({
        privatePort: p.PrivatePort,
        publicPort: p.PublicPort ?? null,
        protocol: p.Type,
        hostIp: p.IP ?? null,
      }))
      .sort(
        (a, b) =>
          a.privatePort - b.privatePort ||
          compare(a.protocol, b.protocol) ||
          compare(a.hostIp ?? '', b.hostIp ?? '') ||
          (a.publicPort ?? -1) - (b.publicPort ?? -1),
      ),
    mounts: (info.Mounts ?? [])
      .map((m) => ({
        type: m.Type,
        name: m.Name ?? null,
        source: m.Source || null,
        destination: m.Destination,
        readOnly: !m.RW,
      }))
      .sort((a, b) => compare(a.destination, b.destination)),
    networks,
    ipv4: unique(networks.map((n) => n.ipv4)),
    ipv6: unique(networks.map((n) => n.ipv6)),
    restartPolicy: detail?.restartPolicy ?? null,
    pid: detail?.pid ?? null,
    autostart: null,
    groups: [],
    memoryBytes: null,
  };
}

// The host interface behind a bridge-driver network: docker0 for the default one, br-<id12> otherwise.
export function networkBridge(net: Dockerode.NetworkInspectInfo): string | null {
  if (net.Driver !== 'bridge') return null;
  const named = net.Options?.['com.docker.network.bridge.name'];
  if (named) return named;
  return net.Name === 'bridge' ? 'docker0' : `br-${net.Id.slice(0, 12)}`;
}

export function bridgeLookup(networks: readonly Dockerode.NetworkInspectInfo[]): BridgeLookup {
  const map = new Map<string, string | null>();
  for (const net of networks) {
    const bridge = networkBridge(net);
    map.set(net.Id, bridge);
    map.set(net.Name, bridge);
  }
  return map;
}

export function mapNetwork(net: Dockerode.NetworkInspectInfo): NetworkRecord {
  const configs = net.IPAM?.Config ?? [];
  return {
    id: net.Id,
    name: net.Name,
    driver: net.Driver,
    scope: net.Scope || null,
    subnets: unique(configs.map((c) => c.Subnet)),
    gateways: unique(configs.map((c) => c.Gateway)),
    bridge: networkBridge(net),
    internal: Boolean(net.Internal),
    labels: net.Labels ?? {},
    createdAt: dockerTime(net.Created),
  };
}

export function mapImage(image: Dockerode.ImageInfo): ImageRecord {
  return {
    id: image.Id,
    // Dangling images carry the placeholder tag "<none>:<none>".
    tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
    repoDigests: (image.RepoDigests ?? []).filter((digest) => !digest.startsWith('<none>@')),
    sizeBytes: Math.max(0, image.Size ?? 0),
    createdAt: epochToIso(image.Created),
    labels: image.Labels ?? {},
  };
}

// Volume name -> names of the containers mounting it, running or not.
export function volumeUsers(containers: readonly Dockerode.ContainerInfo[]): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const c of containers) {
    const name = c.Names?.[0]?.replace(/^\//, '') || c.Id.slice(0, 12);
    for (const m of c.Mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const list = users.get(m.Name) ?? [];
      if (!list.includes(name)) list.push(name);
      users.set(m.Name, list);
    }
  }
  for (const list of users.values()) list.sort();
  return users;
}

export function mapVolume(volume: VolumeInfo, users: ReadonlyMap<string, string[]>): VolumeRecord {
  return {
    name: volume.Name,
    driver: volume.Driver,
    mountpoint: volume.Mountpoint || null,
    labels: volume.Labels ?? {},
    createdAt: dockerTime(volume.CreatedAt),
    usedBy: users.get(volume.Name) ?? [],
  };
}

function unique(values: readonly (string | null | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => Boolean(v)))];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
