import type { DoctorFacts } from '../doctor.facts.js';
import { cidrText, parseCidr } from '../ipv4.js';

// Bridges that serve LXC containers by DHCP: those a lease file or a dnsmasq names, and lxcbr0.
export function dhcpBridges(f: DoctorFacts): Set<string> {
  const names = new Set<string>();
  for (const l of f.leaseFiles ?? []) if (l.bridge) names.add(l.bridge);
  for (const l of f.leases) if (l.bridge) names.add(l.bridge);
  for (const d of f.dnsmasq ?? []) for (const i of d.interfaces) names.add(i);
  for (const b of f.knownDnsmasq.keys()) names.add(b);
  if (f.bridges.some((b) => b.name === 'lxcbr0')) names.add('lxcbr0');
  return new Set([...names].filter((n) => f.bridges.some((b) => b.name === n)));
}

// Bridges containers are (or would be) attached to: DHCP bridges, Docker bridge networks' bridges and
// whatever a container links to, limited to bridges that exist.
export function containerBridges(f: DoctorFacts): Set<string> {
  const names = dhcpBridges(f);
  for (const n of f.networks) if (n.bridge && n.driver === 'bridge') names.add(n.bridge);
  for (const c of f.containers) for (const n of c.networks) if (n.bridge) names.add(n.bridge);
  return new Set([...names].filter((n) => f.bridges.some((b) => b.name === n)));
}

// The IPv4 subnets of a bridge's addresses (10.0.3.1/24 -> 10.0.3.0/24).
export function bridgeSubnets(f: DoctorFacts, bridge: string): string[] {
  const b = f.bridges.find((x) => x.name === bridge);
  const out = new Set<string>();
  for (const a of b?.addresses ?? []) {
    if (a.family !== 'inet') continue;
    const c = parseCidr(`${a.address}/${a.prefixLength}`);
    if (c) out.add(cidrText(c));
  }
  return [...out];
}

// Docker networks that must not reach outside have no NAT on purpose.
export function internalBridges(f: DoctorFacts): Set<string> {
  return new Set(f.networks.filter((n) => n.internal && n.bridge).map((n) => n.bridge!));
}
