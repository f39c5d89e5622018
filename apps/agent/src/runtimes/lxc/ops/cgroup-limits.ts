import { access } from 'node:fs/promises';

// 'v2' when the memory and cpu controllers live on the unified hierarchy; LXC ignores lxc.cgroup2.* keys on a
// legacy or hybrid host ("Ignoring cgroup2 limits on legacy cgroup system"), so the keys must follow the host.
export type CgroupLayout = 'v1' | 'v2';

const CPU_PERIOD_US = 100_000;
// The kernel refuses a CFS quota under 1 ms.
const MIN_CPU_QUOTA_US = 1_000;

export interface Limits {
  memoryBytes?: number | undefined;
  cpus?: number | undefined;
}

// The lxc.cgroup*.* config entries that apply the limits on a host with this layout.
export function limitConfig(limits: Limits, layout: CgroupLayout): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  if (limits.memoryBytes !== undefined) {
    const bytes = String(Math.floor(limits.memoryBytes));
    entries.push(layout === 'v2' ? ['lxc.cgroup2.memory.max', bytes] : ['lxc.cgroup.memory.limit_in_bytes', bytes]);
  }
  if (limits.cpus !== undefined) {
    const quota = String(Math.max(MIN_CPU_QUOTA_US, Math.round(limits.cpus * CPU_PERIOD_US)));
    if (layout === 'v2') entries.push(['lxc.cgroup2.cpu.max', `${quota} ${CPU_PERIOD_US}`]);
    else entries.push(['lxc.cgroup.cpu.cfs_period_us', String(CPU_PERIOD_US)], ['lxc.cgroup.cpu.cfs_quota_us', quota]);
  }
  return entries;
}

// A pure cgroup2 mount has cgroup.controllers at its root; a legacy or hybrid one does not.
export async function detectCgroupLayout(root = '/sys/fs/cgroup'): Promise<CgroupLayout> {
  try {
    await access(`${root}/cgroup.controllers`);
    return 'v2';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'v1';
    throw error;
  }
}
