import type {
  BridgeRecord,
  ContainerRecord,
  FindingRecord,
  HostFacts,
  LeaseRecord,
  NetworkRecord,
  VolumeRecord,
} from '@corral/protocol';

// A dnsmasq process running in the agent's network namespace, as its command line says.
export interface DnsmasqProcess {
  pid: number;
  argv: string[];
  interfaces: string[];
  // DHCP ranges (IPv4 start and end).
  ranges: { start: string; end: string }[];
  leaseFile: string | null;
}

// The rules of one iptables variant, as `-S` prints them.
export interface FirewallRules {
  // The program that changes the rules the host uses (iptables-nft or iptables-legacy).
  tool: string;
  nat: string[];
  filter: string[];
}

export interface LeaseFileFact {
  path: string;
  bridge: string | null;
  modifiedAt: Date;
}

export interface DiskFact {
  path: string;
  // What the path is (an lxcpath, Docker's data root).
  role: string;
  totalBytes: number;
  availableBytes: number;
}

// Everything the checks read: the inventory the collectors already keep, plus the doctor's probes.
// A probe that could not run is null, and the checks that need it say nothing.
export interface DoctorFacts {
  now: Date;
  facts: Pick<HostFacts, 'ipForward' | 'runtimes'> | null;
  containers: ContainerRecord[];
  volumes: VolumeRecord[];
  networks: NetworkRecord[];
  bridges: BridgeRecord[];
  leases: LeaseRecord[];
  leaseFiles: LeaseFileFact[] | null;
  dnsmasq: DnsmasqProcess[] | null;
  // dnsmasq command lines seen earlier for each bridge (so one that died can be started again).
  knownDnsmasq: ReadonlyMap<string, string[]>;
  // lxc-net's script, when the host has it (it serves lxcbr0).
  lxcNetScript: string | null;
  firewall: FirewallRules | null;
  docker: { socket: string; socketExists: boolean };
  disks: DiskFact[];
}

// A finding with the steps of its safe repair, which stay on the agent.
export interface DoctorFinding extends FindingRecord {
  repair?: string[][];
}

export type Check = (facts: DoctorFacts) => DoctorFinding[];

// Quotes argv the way a shell would read it back.
export function shellText(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

export function repairFix(steps: string[][]): Pick<DoctorFinding, 'fix' | 'repair'> {
  return { fix: { command: steps.map(shellText).join(' && '), safe: true }, repair: steps };
}

export function manualFix(command: string): Pick<DoctorFinding, 'fix'> {
  return { fix: { command, safe: false } };
}
