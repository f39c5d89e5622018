import type { BridgeRecord } from '@corral/protocol';
import { z } from 'zod';
import { readIpJson } from '../../lib/ip-json.js';
import type { ParseWarning } from '../../lib/parse-warning.js';

const IpLinkSchema = z.object({
  ifname: z.string().min(1),
  flags: z.array(z.string()).default([]),
  mtu: z.number().int().positive(),
  operstate: z.string().default('UNKNOWN'),
  address: z.string().optional(),
  master: z.string().optional(),
  linkinfo: z
    .object({
      info_kind: z.string().optional(),
      info_data: z.object({ stp_state: z.number().optional() }).loose().optional(),
    })
    .loose()
    .optional(),
  addr_info: z
    .array(
      z.object({ family: z.string(), local: z.string().optional(), prefixlen: z.number().int().optional() }).loose(),
    )
    .default([]),
});
type IpLink = z.infer<typeof IpLinkSchema>;

export interface BridgeParseResult {
  bridges: BridgeRecord[];
  // Array entries ip printed that do not have the shape of a link (the index stands in for a line).
  warnings: ParseWarning[];
}

// Parses `ip -j -d addr show` (or `ip -j -d link show`, without addresses) into bridge records.
export function parseBridges(jsonText: string): BridgeParseResult {
  const { entries: links, warnings } = readIpJson(jsonText, IpLinkSchema);
  const bridges = links
    .filter((l) => l.linkinfo?.info_kind === 'bridge')
    .map((l) => toBridge(l, links))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { bridges, warnings };
}

function toBridge(link: IpLink, all: readonly IpLink[]): BridgeRecord {
  return {
    name: link.ifname,
    mac: link.address ?? null,
    state: link.operstate,
    up: link.flags.includes('UP'),
    mtu: link.mtu,
    addresses: link.addr_info
      .filter((a) => (a.family === 'inet' || a.family === 'inet6') && a.local && a.prefixlen !== undefined)
      .map((a) => ({ family: a.family as 'inet' | 'inet6', address: a.local!, prefixLength: a.prefixlen! })),
    stp: (link.linkinfo?.info_data?.stp_state ?? 0) !== 0,
    interfaces: all
      .filter((l) => l.master === link.ifname)
      .map((l) => l.ifname)
      .sort(),
  };
}

export function parseIpForward(text: string): boolean {
  const value = text.trim();
  if (value !== '0' && value !== '1') throw new Error(`unexpected net.ipv4.ip_forward value "${value}"`);
  return value === '1';
}
