import { type Check, type DoctorFacts, type DoctorFinding, manualFix, repairFix } from '../doctor.facts.js';
import { chainPolicy, forwardAccepts, natCovers, parseIptablesRules } from '../iptables.parser.js';
import { cidrContains, ipToInt, parseCidr } from '../ipv4.js';
import { bridgeSubnets, containerBridges, dhcpBridges, internalBridges } from './bridges.js';

const sorted = (s: Set<string>) => [...s].sort();

export const ipForwardOff: Check = (f) => {
  const bridges = containerBridges(f);
  if (f.facts?.ipForward !== false || bridges.size === 0) return [];
  return [
    {
      id: 'ip-forward-off',
      check: 'ip-forward',
      severity: 'critical',
      subject: 'net.ipv4.ip_forward',
      message: 'net.ipv4.ip_forward is 0: containers on the bridges cannot reach beyond the host',
      evidence: ['net.ipv4.ip_forward = 0', `container bridges: ${sorted(bridges).join(', ')}`],
      ...repairFix([['sysctl', '-w', 'net.ipv4.ip_forward=1']]),
    },
  ];
};

export const bridgeDownOrBare: Check = (f) => {
  const out: DoctorFinding[] = [];
  for (const name of sorted(containerBridges(f))) {
    const b = f.bridges.find((x) => x.name === name)!;
    if (!b.up) {
      out.push({
        id: `bridge-down:${name}`,
        check: 'bridge-down',
        severity: 'critical',
        subject: name,
        message: `bridge ${name} is down: its containers have no network`,
        evidence: [
          `${name}: state ${b.state}, not administratively up`,
          `interfaces: ${b.interfaces.join(', ') || 'none'}`,
        ],
        ...manualFix(`ip link set ${name} up`),
      });
    }
    if (!b.addresses.some((a) => a.family === 'inet')) {
      out.push({
        id: `bridge-no-address:${name}`,
        check: 'bridge-no-address',
        severity: 'critical',
        subject: name,
        message: `bridge ${name} has no IPv4 address: it cannot be its containers' gateway or DHCP server`,
        evidence: [
          `${name}: addresses ${b.addresses.map((a) => `${a.address}/${a.prefixLength}`).join(', ') || 'none'}`,
        ],
        fix: null,
      });
    }
  }
  return out;
};

// How to start the bridge's dnsmasq again: the command line it last ran with, or lxc-net for lxcbr0.
function dnsmasqRestart(f: DoctorFacts, bridge: string): string[][] | null {
  const known = f.knownDnsmasq.get(bridge);
  if (known)
    return [known.filter((a) => a !== '--keep-in-foreground' && a !== '-k' && a !== '--no-daemon' && a !== '-d')];
  if (bridge === 'lxcbr0' && f.lxcNetScript) return [[f.lxcNetScript, 'restart']];
  return null;
}

export const dnsmasqMissing: Check = (f) => {
  if (!f.dnsmasq) return [];
  const out: DoctorFinding[] = [];
  for (const name of sorted(dhcpBridges(f))) {
    const serving = f.dnsmasq.filter((d) => d.interfaces.includes(name));
    if (serving.length === 0) {
      const restart = dnsmasqRestart(f, name);
      out.push({
        id: `dnsmasq-missing:${name}`,
        check: 'dnsmasq-missing',
        severity: 'critical',
        subject: name,
        message: `no dnsmasq serves bridge ${name}: its containers get no address`,
        evidence: [
          `dnsmasq processes in this namespace: ${f.dnsmasq.map((d) => `${d.pid} (${d.interfaces.join(',') || 'all interfaces'})`).join('; ') || 'none'}`,
          ...(f.knownDnsmasq.has(name) ? [`last seen running as: ${f.knownDnsmasq.get(name)!.join(' ')}`] : []),
        ],
        ...(restart ? repairFix(restart) : manualFix(`dnsmasq --interface=${name} --bind-interfaces --dhcp-range=...`)),
      });
      continue;
    }
    const subnets = bridgeSubnets(f, name)
      .map(parseCidr)
      .filter((c) => c !== null);
    if (subnets.length === 0) continue;
    for (const d of serving) {
      for (const r of d.ranges) {
        const start = ipToInt(r.start);
        const end = ipToInt(r.end);
        if (start === null || end === null) continue;
        if (subnets.some((s) => cidrContains(s, start) && cidrContains(s, end))) continue;
        out.push({
          id: `dnsmasq-range:${name}:${r.start}-${r.end}`,
          check: 'dnsmasq-range',
          severity: 'critical',
          subject: name,
          message: `dnsmasq (pid ${d.pid}) hands out ${r.start}-${r.end}, outside the subnet of bridge ${name}`,
          evidence: [`${name}: ${bridgeSubnets(f, name).join(', ')}`, `dhcp-range ${r.start},${r.end}`],
          ...manualFix(`restart dnsmasq for ${name} with a --dhcp-range inside ${bridgeSubnets(f, name).join(', ')}`),
        });
      }
    }
  }
  return out;
};

// A running container whose lease has expired while dnsmasq still runs means the file stopped being
// written; dnsmasq renews leases it hands out, so a live client keeps it fresh.
export const leaseFileStale: Check = (f) => {
  if (!f.leaseFiles) return [];
  const running = new Set(
    f.containers
      .filter((c) => c.state === 'running')
      .flatMap((c) => c.networks.map((n) => n.mac?.toLowerCase()).filter((m): m is string => !!m)),
  );
  const graceMs = 60_000;
  const out: DoctorFinding[] = [];
  for (const file of f.leaseFiles) {
    const expired = f.leases.filter(
      (l) =>
        l.source === file.path &&
        running.has(l.mac.toLowerCase()) &&
        l.expiresAt !== null &&
        Date.parse(l.expiresAt) < f.now.getTime() - graceMs,
    );
    if (expired.length === 0) continue;
    const restart = file.bridge ? dnsmasqRestart(f, file.bridge) : null;
    out.push({
      id: `lease-file-stale:${file.path}`,
      check: 'lease-file-stale',
      severity: 'warning',
      subject: file.path,
      message: `lease file ${file.path} is not being updated although its running containers renew`,
      evidence: [
        `last written ${file.modifiedAt.toISOString()}`,
        ...expired.map((l) => `${l.ip} (${l.mac}) expired ${l.expiresAt}`),
      ],
      ...(restart ? repairFix(restart) : { fix: null }),
    });
  }
  return out;
};

export const masqueradeMissing: Check = (f) => {
  if (!f.firewall) return [];
  const rules = parseIptablesRules(f.firewall.nat);
  const internal = internalBridges(f);
  const out: DoctorFinding[] = [];
  for (const name of sorted(containerBridges(f))) {
    if (internal.has(name)) continue;
    for (const subnet of bridgeSubnets(f, name)) {
      if (natCovers(rules, subnet)) continue;
      out.push({
        id: `masquerade-missing:${subnet}`,
        check: 'masquerade-missing',
        severity: 'critical',
        subject: subnet,
        message: `no masquerade rule for ${subnet} (bridge ${name}): its containers cannot reach other networks`,
        evidence: [`${f.firewall.tool} -t nat -S: no MASQUERADE or SNAT rule whose source covers ${subnet}`],
        ...repairFix([
          [f.firewall.tool, '-t', 'nat', '-A', 'POSTROUTING', '-s', subnet, '!', '-d', subnet, '-j', 'MASQUERADE'],
        ]),
      });
    }
  }
  return out;
};

export const forwardDropped: Check = (f) => {
  if (!f.firewall || chainPolicy(f.firewall.filter, 'FORWARD') !== 'DROP') return [];
  const rules = parseIptablesRules(f.firewall.filter);
  const out: DoctorFinding[] = [];
  for (const name of sorted(containerBridges(f))) {
    if (forwardAccepts(rules, name)) continue;
    out.push({
      id: `forward-dropped:${name}`,
      check: 'forward-dropped',
      severity: 'critical',
      subject: name,
      message: `the FORWARD policy is DROP and no rule lets bridge ${name} through`,
      evidence: ['-P FORWARD DROP', `no ACCEPT rule with -i ${name}`],
      ...manualFix(
        `${f.firewall.tool} -I FORWARD -i ${name} -j ACCEPT && ${f.firewall.tool} -I FORWARD -o ${name} -j ACCEPT`,
      ),
    });
  }
  return out;
};

export const lxcMissingBridge: Check = (f) => {
  const present = new Set(f.bridges.map((b) => b.name));
  const out: DoctorFinding[] = [];
  for (const c of f.containers) {
    if (c.runtime !== 'lxc') continue;
    for (const n of c.networks) {
      if (!n.bridge || present.has(n.bridge)) continue;
      out.push({
        id: `lxc-missing-bridge:${c.lxcPath}/${c.name}:${n.name}`,
        check: 'lxc-missing-bridge',
        severity: 'critical',
        subject: c.name,
        message: `LXC container ${c.name} is linked to bridge ${n.bridge}, which does not exist: it cannot start`,
        evidence: [
          `${c.lxcPath}/${c.name}/config: ${n.name} link = ${n.bridge}`,
          `bridges: ${[...present].sort().join(', ')}`,
        ],
        ...manualFix(`ip link add name ${n.bridge} type bridge && ip link set ${n.bridge} up`),
      });
    }
  }
  return out;
};

export const runningWithoutAddress: Check = (f) => {
  const dhcp = dhcpBridges(f);
  const graceMs = 30_000;
  const out: DoctorFinding[] = [];
  for (const c of f.containers) {
    if (c.state !== 'running') continue;
    if (c.startedAt && Date.parse(c.startedAt) > f.now.getTime() - graceMs) continue;
    for (const n of c.networks) {
      if (!n.bridge || !dhcp.has(n.bridge) || n.ipv4) continue;
      if (c.networks.length === 1 && c.ipv4.length > 0) continue;
      out.push({
        id: `no-address:${c.runtime}:${c.lxcPath ?? ''}/${c.name}:${n.name}`,
        check: 'no-address',
        severity: 'warning',
        subject: c.name,
        message: `running container ${c.name} has no IPv4 address on DHCP bridge ${n.bridge}`,
        evidence: [`${c.name} ${n.name} on ${n.bridge}: mac ${n.mac ?? 'unknown'}, no address`],
        fix: null,
      });
    }
  }
  return out;
};

export const duplicateAddress: Check = (f) => {
  const holders = new Map<string, string[]>();
  for (const c of f.containers) {
    if (c.state !== 'running') continue;
    for (const n of c.networks) {
      if (!n.bridge || !n.ipv4) continue;
      const key = `${n.bridge}|${n.ipv4}`;
      holders.set(key, [...(holders.get(key) ?? []), c.name]);
    }
  }
  const out: DoctorFinding[] = [];
  for (const [key, names] of [...holders].sort()) {
    if (names.length < 2) continue;
    const [bridge, ip] = key.split('|') as [string, string];
    out.push({
      id: `duplicate-ip:${bridge}:${ip}`,
      check: 'duplicate-ip',
      severity: 'critical',
      subject: ip,
      message: `${ip} is held by ${names.length} containers on bridge ${bridge}: ${names.sort().join(', ')}`,
      evidence: names.map((n) => `${n}: ${ip} on ${bridge}`),
      fix: null,
    });
  }
  return out;
};

export const NETWORK_CHECKS: Check[] = [
  ipForwardOff,
  bridgeDownOrBare,
  dnsmasqMissing,
  leaseFileStale,
  masqueradeMissing,
  forwardDropped,
  lxcMissingBridge,
  runningWithoutAddress,
  duplicateAddress,
];
