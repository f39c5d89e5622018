import type { ParseWarning } from '../../lib/parse-warning.js';

export interface LxcInterfaceConfig {
  index: number;
  type: string | null;
  link: string | null;
  hwaddr: string | null;
  name: string | null;
}

export interface LxcConfig {
  interfaces: LxcInterfaceConfig[];
  autostart: boolean | null;
  groups: string[];
  warnings: ParseWarning[];
}

// lxc.net.N.* (LXC >= 2.1) and the older lxc.network.N.* spelling.
const NET_KEY = /^lxc\.(?:net|network)\.(\d+)\.(type|link|hwaddr|name)$/;

// Parses a container's config file: "key = value" lines, '#' comments. lxc.include files are not followed.
export function parseLxcConfig(text: string): LxcConfig {
  const byIndex = new Map<number, LxcInterfaceConfig>();
  const config: LxcConfig = { interfaces: [], autostart: null, groups: [], warnings: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      config.warnings.push({ line: i + 1, text: lines[i]!, reason: 'not a "key = value" line' });
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const net = NET_KEY.exec(key);
    if (net) {
      const index = Number(net[1]);
      const iface = byIndex.get(index) ?? { index, type: null, link: null, hwaddr: null, name: null };
      iface[net[2] as 'type' | 'link' | 'hwaddr' | 'name'] = value || null;
      byIndex.set(index, iface);
    } else if (key === 'lxc.start.auto') {
      config.autostart = value === '1';
    } else if (key === 'lxc.group') {
      for (const group of value.split(/[\s,]+/)) if (group && !config.groups.includes(group)) config.groups.push(group);
    } else if (key === 'lxc.net' || key === 'lxc.network') {
      // An empty "lxc.net =" clears the interfaces declared so far.
      if (value === '') byIndex.clear();
    }
  }
  config.interfaces = [...byIndex.values()].sort((a, b) => a.index - b.index);
  return config;
}
