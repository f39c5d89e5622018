import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiCommand } from '../fleet/fleet-api.js';
import { createFleet, FLEET_IMAGE, type Fleet, FleetApi, type FleetHost } from '../fleet/index.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { run, until } from '../fleet/run.js';
import { runCli } from '../support/cli.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';
import { SseClient } from '../support/sse.js';

const prereqs = await checkFleetPrereqs();
const tag = `dr${randomBytes(3).toString('hex')}`;
const FOUND_WITHIN_MS = 15_000;
const ADMIN_TOKEN = `crl_api_${randomBytes(32).toString('base64url')}`;

interface Finding {
  findingId: string;
  check: string;
  severity: string;
  subject: string | null;
  message: string;
  evidence: string[];
  fix: { command: string; safe: boolean } | null;
}
interface HostDoctor {
  hostId: string;
  hostname: string;
  counts: Record<string, number>;
  findings: Finding[];
}
type AgentFinding = Omit<Finding, 'findingId'> & { id: string };

describe.skipIf(!prereqs.ok)('the host doctor on a two-host fleet: each fault found, the safe ones repaired', () => {
  let db: TestDatabase;
  let fleet: Fleet;
  let api: FleetApi;
  let h1: FleetHost;
  let h1Id: string;
  const timings: Record<string, number> = {};
  const lxcMade: string[] = [];
  let tmpfsMounted = false;

  // Runs the checks now on the host; the findings of that run.
  const runDoctor = async (hostId: string): Promise<AgentFinding[]> => {
    const res = await api.post<ApiCommand>(`/api/v1/hosts/${hostId}/doctor?wait=14`);
    expect(res.status).toBe(202);
    if (res.body.status !== 'succeeded')
      throw new Error(`host.doctor ${res.body.status}: ${JSON.stringify(res.body.error)}`);
    return (res.body.result as { findings: AgentFinding[] }).findings;
  };
  const stored = (hostId: string) => api.get<HostDoctor>(`/api/v1/hosts/${hostId}/doctor`);

  // Waits (at most 15 s from the fault) until the doctor reports `id`, and the inventory shows it.
  const found = async (scenario: string, since: number, match: (f: AgentFinding) => boolean) => {
    const finding = await until(
      `${scenario} found`,
      async () => (await runDoctor(h1Id)).find(match),
      FOUND_WITHIN_MS,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${h1.agentLog(20)}`);
    });
    const ms = Date.now() - since;
    timings[`${scenario}: found`] = ms;
    expect(ms).toBeLessThan(FOUND_WITHIN_MS);
    await until(`${scenario} in the inventory`, async () =>
      (await stored(h1Id)).findings.some((f) => f.findingId === finding.id),
    );
    return finding;
  };
  const fix = (hostId: string, finding: string) =>
    api.post<ApiCommand>(`/api/v1/hosts/${hostId}/doctor/fix?wait=30`, { finding });
  const cleared = (scenario: string, id: string) =>
    until(
      `${scenario} cleared`,
      async () =>
        !(await runDoctor(h1Id)).some((f) => f.id === id) &&
        !(await stored(h1Id)).findings.some((f) => f.findingId === id),
      FOUND_WITHIN_MS,
      200,
    );
  const repair = async (scenario: string, id: string) => {
    const started = Date.now();
    const res = await fix(h1Id, id);
    expect(res.status).toBe(202);
    expect(res.body.status, JSON.stringify(res.body.error)).toBe('succeeded');
    expect(res.body.result).toMatchObject({ finding: id, cleared: true });
    timings[`${scenario}: repaired`] = Date.now() - started;
    await cleared(scenario, id);
  };

  beforeAll(async () => {
    db = await createTestDatabase('corral_doctor');
    fleet = await createFleet({
      hosts: 2,
      dockerHosts: 1,
      tag,
      startController: {
        databaseUrl: db.url,
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        env: { CORRAL_HEARTBEAT_INTERVAL_MS: '1000', CORRAL_LOG_LEVEL: 'warn', CORRAL_ADMIN_TOKEN: ADMIN_TOKEN },
      },
    });
    api = new FleetApi(fleet.apiUrl);
    h1 = fleet.hosts[0]!;
    for (const host of fleet.hosts) {
      await until(`${host.name} online`, async () => (await api.host(host.name))?.status === 'online', 60_000);
    }
    h1Id = (await api.host(h1.name))!.id;
  }, 240_000);

  afterAll(async () => {
    if (tmpfsMounted) {
      await run('nsenter', [`--mount=/proc/${h1.agentPid}/ns/mnt`, 'umount', '-l', h1.state.lxcPath]).catch(() => {});
    }
    for (const n of lxcMade) await h1.lxcDestroy(n).catch(() => {});
    if (Object.keys(timings).length) console.log('doctor timings (ms):', timings);
    if (fleet) {
      const report = await fleet.destroy();
      console.log(`fleet ${tag} torn down: ${report.killed} process(es) killed, problems: ${report.problems.length}`);
    }
  }, 120_000);

  it('a fresh healthy fleet has no findings at all', async () => {
    for (const host of fleet.hosts) {
      const id = (await api.host(host.name))!.id;
      expect(await runDoctor(id), `${host.name}\n${host.agentLog(10)}`).toEqual([]);
      expect((await stored(id)).findings).toEqual([]);
    }
    const fleetView = await api.get<{ totals: Record<string, number>; hosts: HostDoctor[] }>('/api/v1/doctor');
    expect(fleetView).toEqual({ totals: { critical: 0, warning: 0, info: 0 }, hosts: [] });
  });

  it('ip_forward off: found, repaired by the safe fix, with events as it appears and clears', async () => {
    const events = await SseClient.open(`${fleet.apiUrl}/api/v1/events?kind=finding&host=${h1Id}`, {
      authorization: `Bearer ${ADMIN_TOKEN}`,
    });
    try {
      await h1.sh('sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
      const f = await found('ip_forward off', Date.now(), (x) => x.id === 'ip-forward-off');
      expect(f.fix).toEqual({ command: 'sysctl -w net.ipv4.ip_forward=1', safe: true });
      // The fleet view lists it by host and severity.
      const fleetView = await api.get<{ totals: Record<string, number>; hosts: HostDoctor[] }>(
        '/api/v1/doctor?severity=critical',
      );
      expect(fleetView.hosts.map((h) => h.hostname)).toEqual([h1.name]);
      expect(fleetView.totals.critical).toBeGreaterThanOrEqual(1);
      await repair('ip_forward off', 'ip-forward-off');
      expect((await h1.sh('cat', ['/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('1');
      await events.waitForType('finding-cleared');
      const seen = events.messages.map((m) => [m.event, (JSON.parse(m.data) as { data: { name: string } }).data.name]);
      expect(seen).toEqual([
        ['finding-appeared', 'ip-forward-off'],
        ['finding-cleared', 'ip-forward-off'],
      ]);
    } finally {
      events.close();
    }
  });

  it("the bridge's dnsmasq killed: found, restarted with the command line it ran with", async () => {
    await h1.stopDnsmasq();
    const f = await found('dnsmasq killed', Date.now(), (x) => x.id === `dnsmasq-missing:${h1.state.bridge}`);
    expect(f.fix?.safe).toBe(true);
    expect(f.fix?.command).toMatch(/^dnsmasq /);
    expect(f.fix?.command).toContain(`--interface=${h1.state.bridge}`);
    expect(f.fix?.command).not.toContain('--keep-in-foreground');
    await repair('dnsmasq killed', f.id);
    // The dnsmasq the agent started is the host's now (the fleet stops it at the end).
    const pid = Number(readFileSync(path.join(h1.state.dir, 'dnsmasq.pid'), 'utf8').trim());
    expect((await h1.sh('cat', [`/proc/${pid}/comm`])).trim()).toBe('dnsmasq');
    h1.state.pids.dnsmasq = pid;
  });

  it('the masquerade rule deleted: found, added back with the iptables the host uses', async () => {
    const subnet = h1.bridgeSubnet;
    await h1.sh('iptables', [
      '-w',
      '5',
      '-t',
      'nat',
      '-D',
      'POSTROUTING',
      '-s',
      subnet,
      '!',
      '-d',
      subnet,
      '-j',
      'MASQUERADE',
    ]);
    const f = await found('masquerade deleted', Date.now(), (x) => x.id === `masquerade-missing:${subnet}`);
    expect(f.fix).toEqual({
      command: `iptables-nft -t nat -A POSTROUTING -s ${subnet} '!' -d ${subnet} -j MASQUERADE`,
      safe: true,
    });
    await repair('masquerade deleted', f.id);
    expect(await h1.sh('iptables', ['-w', '5', '-t', 'nat', '-S', 'POSTROUTING'])).toContain(
      `-A POSTROUTING -s ${subnet} ! -d ${subnet} -j MASQUERADE`,
    );
  });

  it('the bridge down: found with its fix, which is not one Corral runs itself', async () => {
    const bridge = h1.state.bridge;
    await h1.sh('ip', ['link', 'set', bridge, 'down']);
    try {
      const f = await found('bridge down', Date.now(), (x) => x.id === `bridge-down:${bridge}`);
      expect(f.fix).toEqual({ command: `ip link set ${bridge} up`, safe: false });
      const refused = await fix(h1Id, f.id);
      expect(refused.body.status).toBe('failed');
      expect(refused.body.error).toMatchObject({ code: 'unsupported' });
      expect(refused.body.error!.message).toContain(`ip link set ${bridge} up`);
    } finally {
      await h1.sh('ip', ['link', 'set', bridge, 'up']);
    }
    await cleared('bridge down', `bridge-down:${bridge}`);
  });

  it('an LXC config pointing at a missing bridge: found', async () => {
    const { name } = await h1.lxcCreate(`corral-test-${tag}-nobr`);
    lxcMade.push(name);
    const configFile = path.join(h1.state.lxcPath, name, 'config');
    writeFileSync(
      configFile,
      readFileSync(configFile, 'utf8').replace(/^lxc\.net\.0\.link\s*=.*$/m, 'lxc.net.0.link = nosuchbr0'),
    );
    const f = await found('LXC link to a missing bridge', Date.now(), (x) => x.check === 'lxc-missing-bridge');
    expect(f.subject).toBe(name);
    expect(f.message).toContain('nosuchbr0');
    expect(f.fix).toEqual({
      command: 'ip link add name nosuchbr0 type bridge && ip link set nosuchbr0 up',
      safe: false,
    });
    await h1.lxcDestroy(name);
    await cleared('LXC link to a missing bridge', f.id);
  });

  it('a stopped container holding a volume: found, naming the container', async () => {
    const volume = `corral-test-${tag}-vol`;
    const holder = `corral-test-${tag}-holder`;
    await h1.docker(['volume', 'create', '--label', 'corral.test=1', volume]);
    await h1.docker([
      'create',
      '--name',
      holder,
      '--label',
      'corral.test=1',
      '-v',
      `${volume}:/data`,
      FLEET_IMAGE,
      'sleep',
      '1',
    ]);
    try {
      const f = await found('volume held by a stopped container', Date.now(), (x) => x.id === `volume-held:${volume}`);
      expect(f.message).toContain(holder);
      expect(f.fix).toEqual({ command: `docker rm ${holder} && docker volume rm ${volume}`, safe: false });
    } finally {
      await h1.docker(['rm', '-f', holder]);
    }
    // Without its holder it is dangling: a finding of its own until it goes.
    await found('dangling volume', Date.now(), (x) => x.id === `volume-dangling:${volume}`);
    await h1.docker(['volume', 'rm', volume]);
    await cleared('dangling volume', `volume-dangling:${volume}`);
  });

  it('two containers with one IP on the bridge: found', async () => {
    const a = (await h1.lxcCreate(`corral-test-${tag}-ipa`)).name;
    const b = (await h1.lxcCreate(`corral-test-${tag}-ipb`)).name;
    lxcMade.push(a, b);
    await h1.lxcStart(a);
    await h1.lxcStart(b);
    const ip = await until(`${a} has an address`, () => h1.lxcIp(a), 30_000, 250);
    await until(`${b} has an address`, () => h1.lxcIp(b), 30_000, 250);
    // b takes a's address by hand, as a static config copied from another container would.
    await h1.sh('lxc-attach', [
      '-P',
      h1.state.lxcPath,
      '-n',
      b,
      '--',
      'sh',
      '-c',
      `ip addr flush dev eth0 && ip addr add ${ip}/24 dev eth0`,
    ]);
    const f = await found('two holders of one IP', Date.now(), (x) => x.id === `duplicate-ip:${h1.state.bridge}:${ip}`);
    expect(f.message).toContain(a);
    expect(f.message).toContain(b);
    for (const n of [a, b]) await h1.lxcDestroy(n);
    await cleared('two holders of one IP', f.id);
  });

  it('a filesystem nearly full under an lxcpath: found', async () => {
    const lxcPath = h1.state.lxcPath;
    // The fleet's agent runs in a mount namespace of its own (its /sys/class/net is the host's), and
    // mounts made outside it need not reach it: the tmpfs is mounted and filled in the agent's.
    const inAgent = (cmd: string, args: string[], opts?: { timeoutMs?: number }) =>
      run('nsenter', [`--mount=/proc/${h1.agentPid}/ns/mnt`, cmd, ...args], opts);
    await inAgent('mount', ['-t', 'tmpfs', '-o', 'size=8m', `corral-test-${tag}`, lxcPath]);
    tmpfsMounted = true;
    const fill = path.join(lxcPath, 'fill');
    await inAgent('dd', ['if=/dev/zero', `of=${fill}`, 'bs=1M', 'count=8'], { timeoutMs: 30_000 }).catch(() => '');
    const f = await found('lxcpath nearly full', Date.now(), (x) => x.id === `disk-full:${lxcPath}`);
    expect(f.severity).toBe('critical');
    await inAgent('rm', ['-f', fill]);
    await cleared('lxcpath nearly full', f.id);
    await inAgent('umount', [lxcPath]);
    tmpfsMounted = false;
  });

  it('a fix for a finding the host does not have is refused with not_found', async () => {
    const res = await fix(h1Id, 'ip-forward-off');
    expect(res.body.status).toBe('failed');
    expect(res.body.error).toMatchObject({ code: 'not_found' });
    const bad = await api.post<{ message: string }>(`/api/v1/hosts/${h1Id}/doctor/fix`, {});
    expect(bad.status).toBe(400);
  });

  it('the command line: corral doctor HOST, corral doctor, corral doctor fix HOST FINDING', async () => {
    const env = { CORRAL_URL: fleet.apiUrl, CORRAL_TOKEN: ADMIN_TOKEN, HOME: h1.state.dir, XDG_CONFIG_HOME: '' };
    const corral = async (args: string[]) => {
      const r = await runCli(args, env);
      if (r.code !== 0) throw new Error(`corral ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    expect(await runCli(['doctor', h1.name], env)).toMatchObject({ code: 0 });
    await h1.sh('sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
    const table = await corral(['doctor', h1.name]);
    expect(table).toMatch(
      /critical\s+ip-forward-off\s+net\.ipv4\.ip_forward is 0.*\[safe\] sysctl -w net\.ipv4\.ip_forward=1/,
    );
    const fleetTable = await corral(['doctor', '--severity', 'critical']);
    expect(fleetTable).toMatch(new RegExp(`${h1.name}\\s+critical\\s+ip-forward-off`));
    const fixed = await corral(['doctor', 'fix', h1.name, 'ip-forward-off']);
    expect(fixed).toContain(`${h1.name}: ran sysctl -w net.ipv4.ip_forward=1`);
    expect((await h1.sh('cat', ['/proc/sys/net/ipv4/ip_forward'])).trim()).toBe('1');
    const json = JSON.parse(await corral(['doctor', h1.name, '--json'])) as unknown[];
    expect(json).toEqual([]);
  });
});
