import { z } from 'zod';
import { readIpJson } from '../../lib/ip-json.js';
import type { ParseWarning } from '../../lib/parse-warning.js';

// One interface as seen from inside a container's network namespace.
export interface NetnsInterface {
  name: string;
  mac: string | null;
  ipv4: string[];
  // Global and site addresses only; link-local ones say nothing about reachability.
  ipv6: string[];
}

export interface NetnsParseResult {
  interfaces: NetnsInterface[];
  warnings: ParseWarning[];
}

const NetnsLinkSchema = z.object({
  ifname: z.string().min(1),
  link_type: z.string().optional(),
  address: z.string().optional(),
  addr_info: z
    .array(z.object({ family: z.string(), local: z.string().optional(), scope: z.string().optional() }).loose())
    .default([]),
});

const NO_MAC = '00:00:00:00:00:00';

// Parses `ip -j addr show` run inside the container's network namespace; the loopback is left out.
export function parseNetnsInterfaces(jsonText: string): NetnsParseResult {
  const { entries, warnings } = readIpJson(jsonText, NetnsLinkSchema);
  const interfaces: NetnsInterface[] = [];
  for (const link of entries) {
    if (link.link_type === 'loopback' || link.ifname === 'lo') continue;
    const addresses = (family: string) =>
      link.addr_info
        .filter((a) => a.family === family && a.local && a.scope !== 'link' && a.scope !== 'host')
        .map((a) => a.local!);
    interfaces.push({
      name: link.ifname,
      mac: link.address && link.address !== NO_MAC ? link.address.toLowerCase() : null,
      ipv4: addresses('inet'),
      ipv6: addresses('inet6'),
    });
  }
  return { interfaces, warnings };
}
