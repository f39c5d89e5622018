import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGISTRY_ADDRESS, REGISTRY_AUTH, REGISTRY_OPEN } from '../support/registry.js';
import { alive, FLEET_MARKER, logTail, signal, startDaemon, stopPid } from './daemon.js';
import type { HostState } from './fleet-state.js';
import { netnsPath, run, runIn, until } from './run.js';

const SYSFS_EXEC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sysfs-exec.sh');

export interface EngineContainer {
  runtime: 'docker' | 'lxc';
  // Docker: the full container id; LXC: the container name.
  key: string;
  name: string;
  state: string;
}

export interface LeaseLine {
  expiry: string;
  mac: string;
  ip: string;
  hostname: string;
  clientId: string;
}

export interface EngineView {
  containers: EngineContainer[];
  leases: LeaseLine[];
}

export interface AgentLaunch {
  controllerUrl: string;
  repoRoot: string;
  env: Record<string, string>;
}

export function randomMac(): string {
  const b = randomBytes(3);
  return `00:16:3e:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
}

export function parseLeaseLines(text: string): LeaseLine[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[0]!) && !f[2]!.includes(':'))
    .map(([expiry, mac, ip, hostname, clientId]) => ({
      expiry: expiry!,
      mac: mac!,
      ip: ip!,
      hostname: hostname!,
      clientId: clientId ?? '*',
    }));
}

// One simulated machine: a network namespace with its own bridge, dnsmasq, lxcpath, optional
// dockerd and its own agent. Every pid it starts is written to the fleet's state file at once.
export class FleetHost {
  constructor(
    readonly state: HostState,
    private readonly tag: string,
    private readonly save: () => void,
    private readonly launch: AgentLaunch,
  ) {}

  get name(): string {
    return this.state.name;
  }
  get netns(): string {
    return this.state.netns;
  }
  get hasDocker(): boolean {
    return this.state.docker !== null;
  }
  // The host's address on its link to the root namespace, where it reaches the controller.
  get uplinkAddress(): string {
    return `10.251.${this.state.octet}.2`;
  }
  get gatewayAddress(): string {
    return `10.251.${this.state.octet}.1`;
  }
  get agentPid(): number | undefined {
    return this.state.pids.agent;
  }
  get agentRunning(): boolean {
    return alive(this.state.pids.agent);
  }

  sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
    return runIn(this.netns, cmd, args, { timeoutMs });
  }

  // Network namespace, veth pair to the root namespace, loopback and the bridge.
  async createNetwork(): Promise<void> {
    const s = this.state;
    const inside = 'uplink0';
    await run('ip', ['netns', 'add', s.netns]);
    this.save();
    await run('ip', ['link', 'add', s.rootVeth, 'type', 'veth', 'peer', 'name', inside, 'netns', s.netns]);
    await run('ip', ['addr', 'add', `${this.gatewayAddress}/30`, 'dev', s.rootVeth]);
    await run('ip', ['link', 'set', s.rootVeth, 'up']);
    await this.sh('ip', ['link', 'set', 'lo', 'up']);
    await this.sh('ip', ['addr', 'add', `${this.uplinkAddress}/30`, 'dev', inside]);
    await this.sh('ip', ['link', 'set', inside, 'up']);
    // The test registry lives on an address of the root namespace (scripts/engines-up.sh).
    await this.sh('ip', ['route', 'add', `${REGISTRY_ADDRESS}/32`, 'via', this.gatewayAddress]);
    await this.sh('ip', ['link', 'add', s.bridge, 'type', 'bridge']);
    await this.sh('ip', ['addr', 'add', s.bridgeAddress, 'dev', s.bridge]);
    await this.sh('ip', ['link', 'set', s.bridge, 'up']);
  }

  // The bridge's subnet, as lxc-net's rules name it (10.60.1.1/24 -> 10.60.1.0/24).
  get bridgeSubnet(): string {
    const [ip, len] = this.state.bridgeAddress.split('/') as [string, string];
    const n = ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
    const size = 2 ** (32 - Number(len));
    const net = n - (n % size);
    return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${len}`;
  }

  // What lxc-net does for lxcbr0, done for this host's bridge: forwarding on, NAT for its subnet and
  // FORWARD rules letting it through (Docker's FORWARD policy is DROP), so a fresh host is healthy.
  async routeContainers(): Promise<void> {
    const { bridge } = this.state;
    const subnet = this.bridgeSubnet;
    await this.sh('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await this.sh('iptables', [
      '-w',
      '5',
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      subnet,
      '!',
      '-d',
      subnet,
      '-j',
      'MASQUERADE',
    ]);
    await this.sh('iptables', ['-w', '5', '-I', 'FORWARD', '-i', bridge, '-j', 'ACCEPT']);
    await this.sh('iptables', ['-w', '5', '-I', 'FORWARD', '-o', bridge, '-j', 'ACCEPT']);
  }

  private daemonEnv(): Record<string, string> {
    return { [FLEET_MARKER]: this.tag };
  }

  private log(name: string): string {
    return path.join(this.state.dir, `${name}.log`);
  }

  async startDnsmasq(): Promise<void> {
    const s = this.state;
    const [a, b, c] = s.bridgeAddress.split('/')[0]!.split('.');
    const hostsFile = path.join(s.dir, 'dhcp-hosts');
    if (!existsSync(hostsFile)) writeFileSync(hostsFile, '');
    if (!existsSync(s.leaseFile)) writeFileSync(s.leaseFile, '');
    const d = startDaemon(
      'nsenter',
      [
        `--net=${netnsPath(s.netns)}`,
        'dnsmasq',
        '--conf-file=/dev/null',
        '--keep-in-foreground',
        `--interface=${s.bridge}`,
        '--bind-interfaces',
        '--except-interface=lo',
        '--port=0',
        `--dhcp-range=${a}.${b}.${c}.10,${a}.${b}.${c}.250,1h`,
        `--dhcp-leasefile=${s.leaseFile}`,
        `--dhcp-hostsfile=${hostsFile}`,
        `--pid-file=${path.join(s.dir, 'dnsmasq.pid')}`,
        '--dhcp-authoritative',
      ],
      { env: this.daemonEnv(), logFile: this.log('dnsmasq') },
    );
    s.pids.dnsmasq = d.pid;
    this.save();
    // Bound to the bridge once it has written its pid file.
    await until('dnsmasq up', () => {
      if (!alive(d.pid)) throw new Error(`dnsmasq exited: ${logTail(d.logFile)}`);
      return existsSync(path.join(s.dir, 'dnsmasq.pid'));
    });
  }

  async stopDnsmasq(): Promise<void> {
    await stopPid(this.state.pids.dnsmasq, 'SIGTERM', 5_000);
    this.state.pids.dnsmasq = undefined;
    this.save();
  }

  // Pins `ip` to `mac` in this host's dnsmasq (dhcp-hostsfile, re-read on SIGHUP).
  pinAddress(mac: string, ip: string): void {
    appendFileSync(path.join(this.state.dir, 'dhcp-hosts'), `${mac},${ip}\n`);
    if (alive(this.state.pids.dnsmasq)) signal(this.state.pids.dnsmasq!, 'SIGHUP');
  }

  leases(): LeaseLine[] {
    return parseLeaseLines(readFileSync(this.state.leaseFile, 'utf8'));
  }

  // Rewrites the lease file by hand with dnsmasq stopped (it keeps leases in memory and would
  // overwrite the edit), then starts dnsmasq again, which reads the edited file.
  async editLeases(edit: (leases: LeaseLine[]) => LeaseLine[]): Promise<void> {
    await this.stopDnsmasq();
    const lines = edit(this.leases()).map((l) => `${l.expiry} ${l.mac} ${l.ip} ${l.hostname} ${l.clientId}`);
    writeFileSync(this.state.leaseFile, lines.length ? `${lines.join('\n')}\n` : '');
    await this.startDnsmasq();
  }

  // `imageTar` is loaded once started; a restart on the same data root has the image already.
  async startDockerd(imageTar?: string): Promise<void> {
    const dk = this.state.docker;
    if (!dk) return;
    const configFile = path.join(this.state.dir, 'daemon.json');
    writeFileSync(
      configFile,
      `${JSON.stringify({ 'insecure-registries': [REGISTRY_OPEN, REGISTRY_AUTH] }, null, 2)}\n`,
    );
    const d = startDaemon(
      'nsenter',
      [
        `--net=${netnsPath(this.netns)}`,
        'dockerd',
        '--data-root',
        dk.dataRoot,
        '--exec-root',
        dk.execRoot,
        '-H',
        `unix://${dk.socket}`,
        '--pidfile',
        path.join(this.state.dir, 'dockerd.pid'),
        '--bip',
        dk.bip,
        // Its own config file, not the machine's /etc/docker/daemon.json: the test registry as insecure.
        '--config-file',
        configFile,
        '--log-level',
        'warn',
      ],
      { env: this.daemonEnv(), logFile: this.log('dockerd') },
    );
    this.state.pids.dockerd = d.pid;
    this.save();
    await until(
      `dockerd of ${this.name}`,
      async () => {
        if (!alive(d.pid)) throw new Error(`dockerd exited: ${logTail(d.logFile)}`);
        return (await this.docker(['version', '--format', '{{.Server.Version}}'], 5_000).catch(() => '')) !== '';
      },
      60_000,
      250,
    );
    if (imageTar) await this.docker(['load', '-q', '-i', imageTar], 120_000);
  }

  // SIGTERM, as a service manager stops it: dockerd stops its containers and removes its socket.
  async stopDockerd(): Promise<void> {
    if (!this.state.docker) throw new Error(`${this.name} has no dockerd`);
    if (!(await stopPid(this.state.pids.dockerd, 'SIGTERM', 60_000))) {
      throw new Error(`dockerd of ${this.name} ignored SIGTERM for 60 s: ${logTail(this.log('dockerd'))}`);
    }
    this.state.pids.dockerd = undefined;
    this.save();
  }

  get dockerdPid(): number | undefined {
    return this.state.pids.dockerd;
  }

  docker(args: string[], timeoutMs = 60_000): Promise<string> {
    if (!this.state.docker) throw new Error(`${this.name} has no dockerd`);
    return run('docker', ['-H', `unix://${this.state.docker.socket}`, ...args], { timeoutMs });
  }

  startAgent(): void {
    const s = this.state;
    const d = startDaemon(
      'nsenter',
      // In a private mount namespace whose /sys/class/net shows this host's links (sysfs-exec.sh), so
      // that the agent's own lxc-start finds the host's bridge, as lxcStart below does.
      [
        `--net=${netnsPath(s.netns)}`,
        'unshare',
        '--mount',
        '--propagation',
        'slave',
        'sh',
        SYSFS_EXEC,
        process.execPath,
        path.join(this.launch.repoRoot, 'apps/agent/dist/main.js'),
      ],
      {
        cwd: this.launch.repoRoot,
        logFile: this.log('agent'),
        env: {
          ...this.daemonEnv(),
          CORRAL_CONTROLLER_URL: this.launch.controllerUrl.replaceAll('{gateway}', this.gatewayAddress),
          CORRAL_STATE_DIR: path.join(s.dir, 'agent'),
          CORRAL_DOCKER_SOCKET: s.docker?.socket ?? path.join(s.dir, 'no-docker.sock'),
          CORRAL_LXC_PATHS: s.lxcPath,
          CORRAL_LEASE_FILES: path.join(path.dirname(s.leaseFile), 'dnsmasq.*.leases'),
          CORRAL_HOSTNAME: s.name,
          CORRAL_POLL_INTERVAL_MS: '500',
          ...this.launch.env,
        },
      },
    );
    s.pids.agent = d.pid;
    this.save();
  }

  // Where the agent connects from its next start on: ws://{gateway}:PORT/agent, or a comma list.
  pointAgentAt(controllerUrl: string): void {
    this.launch.controllerUrl = controllerUrl;
  }

  async killAgent(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await stopPid(this.state.pids.agent, sig, 10_000);
    this.state.pids.agent = undefined;
    this.save();
  }

  async restartAgent(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.killAgent(sig);
    this.startAgent();
  }

  agentLog(lines = 40): string {
    return logTail(this.log('agent'), lines);
  }

  // Cuts the host off the root namespace (and so from the controller) by downing its uplink.
  async cutOff(): Promise<void> {
    await run('ip', ['link', 'set', this.state.rootVeth, 'down']);
  }

  async heal(): Promise<void> {
    await run('ip', ['link', 'set', this.state.rootVeth, 'up']);
  }

  // LXC (lxc-* run inside the namespace: LXC's command socket is an abstract socket, which
  // belongs to the network namespace the container's monitor runs in).
  async lxcCreate(name: string, opts: { mac?: string; ip?: string } = {}): Promise<{ name: string; mac: string }> {
    const s = this.state;
    await run('lxc-create', ['-P', s.lxcPath, '-n', name, '-t', 'busybox'], { timeoutMs: 120_000 });
    const mac = opts.mac ?? randomMac();
    const configFile = path.join(s.lxcPath, name, 'config');
    const config = readFileSync(configFile, 'utf8')
      .split('\n')
      .filter((l) => !/^lxc\.net\.0\.(link|hwaddr)\s*=/.test(l));
    config.push(`lxc.net.0.link = ${s.bridge}`, `lxc.net.0.hwaddr = ${mac}`, '');
    writeFileSync(configFile, config.join('\n'));
    if (opts.ip) this.pinAddress(mac, opts.ip);
    return { name, mac };
  }

  // Started inside the namespace, so the container's veth lands on this host's bridge.
  async lxcStart(name: string): Promise<void> {
    await run(
      'nsenter',
      [
        `--net=${netnsPath(this.netns)}`,
        'unshare',
        '--mount',
        '--propagation',
        'slave',
        'sh',
        SYSFS_EXEC,
        'lxc-start',
        '-P',
        this.state.lxcPath,
        '-n',
        name,
      ],
      { timeoutMs: 60_000, env: this.daemonEnv() },
    );
  }

  async lxcStop(name: string): Promise<void> {
    await this.sh('lxc-stop', ['-P', this.state.lxcPath, '-n', name, '-k'], 30_000);
  }

  async lxcDestroy(name: string): Promise<void> {
    await this.sh('lxc-destroy', ['-P', this.state.lxcPath, '-n', name, '-f'], 60_000);
  }

  async lxcIp(name: string): Promise<string | undefined> {
    const out = await this.sh('lxc-info', ['-P', this.state.lxcPath, '-n', name, '-iH'], 10_000);
    return out.split('\n').find((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
  }

  async lxcList(): Promise<{ name: string; state: string }[]> {
    const out = await this.sh('lxc-ls', ['-P', this.state.lxcPath, '-f', '-F', 'NAME,STATE'], 30_000);
    return out
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length === 2)
      .map(([name, state]) => ({ name: name!, state: state!.toLowerCase() }));
  }

  async dockerList(): Promise<{ id: string; name: string; state: string }[]> {
    if (!this.hasDocker) return [];
    const out = await this.docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}}\t{{.Names}}\t{{.State}}']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .map(([id, name, state]) => ({ id: id!, name: name!, state: state! }));
  }

  // What this host's engines and dnsmasq say right now.
  async engineView(): Promise<EngineView> {
    const [docker, lxc] = await Promise.all([this.dockerList(), this.lxcList()]);
    return {
      containers: [
        ...docker.map((c) => ({ runtime: 'docker' as const, key: c.id, name: c.name, state: c.state })),
        ...lxc.map((c) => ({ runtime: 'lxc' as const, key: c.name, name: c.name, state: c.state })),
      ],
      leases: this.leases(),
    };
  }
}
