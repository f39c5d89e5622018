import { access, readdir, readFile, readlink, stat, statfs } from 'node:fs/promises';
import { execa } from 'execa';
import { CommandError, runCommand } from '../lib/run.js';
import { parseDnsmasqArgv } from './dnsmasq.parser.js';
import type { DiskFact, DnsmasqProcess, FirewallRules, LeaseFileFact } from './doctor.facts.js';

// The doctor's small probes of the outside world; tests hand in others.
export interface DoctorProbes {
  dnsmasq(): Promise<DnsmasqProcess[]>;
  firewall(): Promise<FirewallRules | null>;
  leaseFiles(): Promise<LeaseFileFact[]>;
  exists(path: string): Promise<boolean>;
  disk(path: string, role: string): Promise<DiskFact>;
  // Runs one repair step; throws CommandError when it fails.
  run(argv: string[]): Promise<string>;
}

const TIMEOUT_MS = 10_000;

// dnsmasq processes in the agent's own network namespace (the pid namespace may show others').
async function dnsmasqProcesses(): Promise<DnsmasqProcess[]> {
  const own = await readlink('/proc/self/ns/net');
  const out: DnsmasqProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      if (comm !== 'dnsmasq') continue;
      if ((await readlink(`/proc/${entry}/ns/net`)) !== own) continue;
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      out.push(parseDnsmasqArgv(Number(entry), argv));
    } catch {
      // The process ended while it was being read: it serves nothing.
    }
  }
  return out;
}

async function rules(tool: string, table: string): Promise<string[] | null> {
  try {
    const { stdout } = await runCommand(tool, ['-w', '5', '-t', table, '-S'], { timeoutMs: TIMEOUT_MS });
    return stdout.split('\n').filter(Boolean);
  } catch (error) {
    if (error instanceof CommandError) return null;
    throw error;
  }
}

// The variant whose rules the host uses: the one with rules of its own (Docker or lxc-net put them
// there), else the one `iptables` itself is.
async function firewallRules(): Promise<FirewallRules | null> {
  const variants: FirewallRules[] = [];
  // Reading legacy tables would load their modules: only where this namespace has some already.
  const legacyTables = (await readFile('/proc/net/ip_tables_names', 'utf8').catch(() => '')).trim();
  const tools = legacyTables ? ['iptables-nft', 'iptables-legacy'] : ['iptables-nft'];
  for (const tool of tools) {
    const [nat, filter] = await Promise.all([rules(tool, 'nat'), rules(tool, 'filter')]);
    if (nat && filter) variants.push({ tool, nat, filter });
  }
  if (variants.length === 0) {
    const [nat, filter] = await Promise.all([rules('iptables', 'nat'), rules('iptables', 'filter')]);
    return nat && filter ? { tool: 'iptables', nat, filter } : null;
  }
  const ruleCount = (v: FirewallRules) => [...v.nat, ...v.filter].filter((l) => l.startsWith('-A ')).length;
  const withRules = variants.filter((v) => ruleCount(v) > 0);
  if (withRules.length === 1) return withRules[0]!;
  const version = await runCommand('iptables', ['-V'], { timeoutMs: TIMEOUT_MS }).catch(() => null);
  const preferred = version?.stdout.includes('legacy') ? 'iptables-legacy' : 'iptables-nft';
  return variants.find((v) => v.tool === preferred) ?? variants[0]!;
}

export function createDoctorProbes(opts: { leaseFiles: () => Promise<string[]> }): DoctorProbes {
  return {
    dnsmasq: dnsmasqProcesses,
    firewall: firewallRules,
    async leaseFiles() {
      const out: LeaseFileFact[] = [];
      for (const path of await opts.leaseFiles()) {
        const s = await stat(path).catch(() => null);
        if (!s) continue;
        const bridge = /dnsmasq\.(.+)\.leases$/.exec(path)?.[1] ?? null;
        out.push({ path, bridge, modifiedAt: s.mtime });
      }
      return out;
    },
    exists: (path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    async disk(path, role) {
      const s = await statfs(path);
      return { path, role, totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
    },
    async run(argv) {
      // No pipes: a daemon it starts (dnsmasq) would hold them open and the call would never end.
      try {
        await execa(argv[0]!, argv.slice(1), { timeout: TIMEOUT_MS, stdio: 'ignore', env: { LC_ALL: 'C' } });
        return '';
      } catch (error) {
        const e = error as { exitCode?: number; stderr?: string; shortMessage?: string; code?: string };
        throw new CommandError(
          argv[0]!,
          argv.slice(1),
          e.code === 'ENOENT' ? 'not-found' : 'exit',
          e.exitCode ?? null,
          e.stderr ?? '',
          e.shortMessage ?? 'failed',
        );
      }
    },
  };
}
