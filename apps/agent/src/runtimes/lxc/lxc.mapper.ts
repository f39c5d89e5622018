import type { ContainerRecord, ContainerState } from '@corral/protocol';
import type { LxcConfig } from './lxc-config.parser.js';
import type { LxcLsRow } from './lxc-ls.parser.js';

export function mapLxcState(state: string): ContainerState {
  const lower = state.toLowerCase();
  const known: readonly string[] = [
    'stopped',
    'starting',
    'running',
    'stopping',
    'aborting',
    'freezing',
    'frozen',
    'thawed',
  ];
  return known.includes(lower) ? (lower as ContainerState) : 'unknown';
}

// Joins what lxc-ls, the config file and lxc-info say about one container.
export function mapLxcContainer(
  lxcPath: string,
  row: LxcLsRow,
  config: LxcConfig | null,
  memoryBytes: number | null,
): ContainerRecord {
  const ifaces = config?.interfaces.filter((i) => i.type !== 'empty' && i.type !== 'none') ?? [];
  // lxc-ls lists addresses without their interface: only a single-interface container can be attributed.
  const attributable = ifaces.length === 1;
  const networks = ifaces.map((iface) => ({
    // Unnamed interfaces get the kernel's eth%d name, which follows the config order.
    name: iface.name ?? `eth${iface.index}`,
    ipv4: attributable ? (row.ipv4[0] ?? null) : null,
    ipv6: attributable ? (row.ipv6[0] ?? null) : null,
    mac: iface.hwaddr && !iface.hwaddr.includes('x') ? iface.hwaddr : null,
    // Only a veth's link is a bridge; for macvlan or phys it is a host NIC.
    bridge: iface.type === 'veth' ? iface.link : null,
  }));
  const running = row.state !== 'STOPPED';
  return {
    runtime: 'lxc',
    id: row.name,
    name: row.name,
    lxcPath,
    image: null,
    imageId: null,
    command: null,
    state: mapLxcState(row.state),
    status: row.state,
    createdAt: null,
    startedAt: null,
    labels: {},
    ports: [],
    mounts: [],
    networks,
    ipv4: row.ipv4,
    ipv6: row.ipv6,
    restartPolicy: null,
    pid: row.pid,
    autostart: row.autostart ?? config?.autostart ?? false,
    groups: row.groups.length > 0 ? row.groups : (config?.groups ?? []),
    memoryBytes: running ? memoryBytes : null,
  };
}
