import type { ContainerRecord, ContainerState } from '@corral/protocol';
import type { LxcConfig, LxcInterfaceConfig } from './lxc-config.parser.js';
import type { LxcLsRow } from './lxc-ls.parser.js';
import type { NetnsInterface } from './lxc-netns.parser.js';

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

// The names LXC gives the interfaces inside the container: lxc.net.N.name when set, the host NIC's name
// for an unnamed phys, and otherwise the lowest free eth%d, handed out in config order.
export function lxcInterfaceNames(ifaces: readonly LxcInterfaceConfig[]): string[] {
  const taken = new Set<string>();
  return ifaces.map((iface) => {
    let name = iface.name ?? (iface.type === 'phys' ? iface.link : null);
    if (!name) {
      let n = 0;
      while (taken.has(`eth${n}`)) n++;
      name = `eth${n}`;
    }
    taken.add(name);
    return name;
  });
}

// Joins what lxc-ls, the config file, lxc-info and the container's own network namespace say about one
// container. `live` is null when the namespace could not be read; addresses then come from lxc-ls alone.
export function mapLxcContainer(
  lxcPath: string,
  row: LxcLsRow,
  config: LxcConfig | null,
  memoryBytes: number | null,
  live: readonly NetnsInterface[] | null = null,
): ContainerRecord {
  const ifaces = config?.interfaces.filter((i) => i.type !== 'empty' && i.type !== 'none') ?? [];
  // lxc-ls lists addresses without their interface: only a single-interface container can be attributed.
  const attributable = ifaces.length === 1;
  const names = lxcInterfaceNames(ifaces);
  const networks = ifaces.map((iface, i) => {
    const name = names[i]!;
    // Only a veth's link is a bridge; for macvlan or phys it is a host NIC.
    const bridge = iface.type === 'veth' ? iface.link : null;
    const seen = live?.find((l) => l.name === name);
    if (seen) return { name, ipv4: seen.ipv4[0] ?? null, ipv6: seen.ipv6[0] ?? null, mac: seen.mac, bridge };
    return {
      name,
      ipv4: attributable ? (row.ipv4[0] ?? null) : null,
      ipv6: attributable ? (row.ipv6[0] ?? null) : null,
      // A hwaddr template (xx) is randomised at start, so it is not this interface's MAC.
      mac: iface.hwaddr && !iface.hwaddr.includes('x') ? iface.hwaddr.toLowerCase() : null,
      bridge,
    };
  });
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
