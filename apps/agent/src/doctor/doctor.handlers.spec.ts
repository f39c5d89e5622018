import { type Inventory, sampleFacts } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../executor/handler.js';
import { silentLogger } from '../lib/logger.js';
import { bridge, DNSMASQ_ARGV, lease, lxcContainer } from './checks/facts.fixture.js';
import { createDoctorHandlers } from './doctor.handlers.js';
import type { DoctorProbes } from './doctor.probes.js';
import { DoctorService } from './doctor.service.js';

// A host whose forwarding is off and whose bridge is down until a repair runs; probes are fakes
// that record what they are asked to run.
function setup() {
  let ipForward = false;
  const ran: string[][] = [];
  const inventory = (): Inventory => ({
    facts: { ...sampleFacts, ipForward, runtimes: [] },
    containers: [lxcContainer('c1')],
    images: [],
    volumes: [],
    networks: [],
    bridges: [bridge('lxcbr0', { up: false, state: 'DOWN' })],
    leases: [lease()],
    findings: [],
  });
  const probes: DoctorProbes = {
    dnsmasq: async () => [
      {
        pid: 1,
        argv: DNSMASQ_ARGV,
        interfaces: ['lxcbr0'],
        ranges: [{ start: '10.0.3.2', end: '10.0.3.254' }],
        leaseFile: null,
      },
    ],
    firewall: async () => ({
      tool: 'iptables-nft',
      nat: ['-A POSTROUTING -s 10.0.3.0/24 ! -d 10.0.3.0/24 -j MASQUERADE'],
      filter: ['-P FORWARD ACCEPT'],
    }),
    leaseFiles: async () => [],
    exists: async () => false,
    disk: async () => {
      throw new Error('statfs failed');
    },
    run: async (argv) => {
      ran.push(argv);
      if (argv[0] === 'sysctl') ipForward = true;
      return '';
    },
  };
  const doctor = new DoctorService({
    inventory,
    probes,
    dockerSocket: '/nonexistent.sock',
    dockerRoot: async () => null,
    lxcPaths: ['/var/lib/lxc'],
    lxcNetScript: null,
    logger: silentLogger,
  });
  const sut = createDoctorHandlers({ doctor, probes, rerun: async () => void (await doctor.collect()) });
  const ctx = (finding: string) =>
    ({
      id: 'x',
      op: 'host.doctor.fix',
      params: { finding },
      logger: silentLogger,
    }) as unknown as CommandContext<'host.doctor.fix'>;
  return { sut, ran, ctx };
}

describe('doctor handlers', () => {
  it('host.doctor answers the findings, without the repair steps kept on the agent', async () => {
    const { sut } = setup();
    const result = (await sut['host.doctor']!({} as never)) as { findings: Record<string, unknown>[] };
    expect(result.findings.map((f) => f.id)).toEqual(['ip-forward-off', 'bridge-down:lxcbr0']);
    expect(result.findings.every((f) => !('repair' in f))).toBe(true);
  });

  it('host.doctor.fix runs a safe repair and says the finding cleared', async () => {
    const { sut, ran, ctx } = setup();
    const result = await sut['host.doctor.fix']!(ctx('ip-forward-off'));
    expect(ran).toEqual([['sysctl', '-w', 'net.ipv4.ip_forward=1']]);
    expect(result).toMatchObject({
      finding: 'ip-forward-off',
      command: 'sysctl -w net.ipv4.ip_forward=1',
      cleared: true,
    });
  });

  it('refuses a finding without a safe repair, naming the command to run by hand, and runs nothing', async () => {
    const { sut, ran, ctx } = setup();
    await expect(sut['host.doctor.fix']!(ctx('bridge-down:lxcbr0'))).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('ip link set lxcbr0 up'),
    });
    expect(ran).toEqual([]);
  });

  it('refuses a finding the host does not have', async () => {
    const { sut, ctx } = setup();
    await expect(sut['host.doctor.fix']!(ctx('masquerade-missing:10.0.3.0/24'))).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
