import { isIPv4 } from 'node:net';
import type { LeaseRecord } from '@corral/protocol';
import type { ParseWarning } from '../../lib/parse-warning.js';

export interface LeaseFileContext {
  source: string;
  bridge: string | null;
}

export interface LeaseParseResult {
  leases: LeaseRecord[];
  // DHCPv6 leases have no MAC (an IAID and a DUID instead), which LeaseRecord cannot carry.
  skippedIpv6: number;
  warnings: ParseWarning[];
}

const MAC = /^(?:[0-9a-f]{1,2}-)?[0-9a-f]{2}(?::[0-9a-f]{2})+$/i;

// Parses a dnsmasq lease file: "<expiry> <mac> <ip> <hostname|*> <client-id|*>", then an optional
// "duid <server-duid>" line followed by DHCPv6 leases "<expiry> <iaid> <ipv6> <hostname|*> <duid>".
export function parseLeaseFile(text: string, context: LeaseFileContext): LeaseParseResult {
  const result: LeaseParseResult = { leases: [], skippedIpv6: 0, warnings: [] };
  let inIpv6Section = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    const warn = (reason: string): void => {
      result.warnings.push({ line: i + 1, text: lines[i]!, reason });
    };
    if (fields[0] === 'duid') {
      inIpv6Section = true;
      continue;
    }
    if (fields.length < 4 || fields.length > 5) {
      warn(`expected 4 or 5 fields, got ${fields.length}`);
      continue;
    }
    const [expiry, mac, ip, hostname, clientId] = fields as [string, string, string, string, string | undefined];
    if (!/^\d+$/.test(expiry)) {
      warn(`bad expiry "${expiry}"`);
      continue;
    }
    if (inIpv6Section || ip.includes(':')) {
      result.skippedIpv6++;
      continue;
    }
    if (!MAC.test(mac)) {
      warn(`bad MAC address "${mac}"`);
      continue;
    }
    if (!isIPv4(ip)) {
      warn(`bad IPv4 address "${ip}"`);
      continue;
    }
    const epoch = Number(expiry);
    result.leases.push({
      source: context.source,
      bridge: context.bridge,
      // dnsmasq writes 0 for leases that never expire.
      expiresAt: epoch === 0 ? null : new Date(epoch * 1000).toISOString(),
      mac: mac.toLowerCase(),
      ip,
      hostname: hostname === '*' ? null : hostname,
      clientId: clientId === undefined || clientId === '*' ? null : clientId,
    });
  }
  return result;
}

// dnsmasq.<bridge>.leases is how lxc-net and libvirt name per-bridge lease files.
export function bridgeFromLeaseFile(path: string): string | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return /^dnsmasq\.(.+)\.leases$/.exec(name)?.[1] ?? null;
}
