import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corral, type Page } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// IPv6 container addresses on a real Docker network with IPv6 (this machine's dockerd makes one
// without extra daemon settings: `docker network create --ipv6 --subnet fd00:...`).

interface ApiV6Container {
  id: string;
  engineId: string;
  name: string;
  state: string;
  ipv4: string[];
  ipv6: string[];
  networks: { name: string; ipv4: string | null; ipv6: string | null; mac: string | null }[];
}
interface IpMatch {
  kind: string;
  id: string;
  name?: string;
  subnet?: string;
  host: { id: string };
}

describe('IPv6 container addresses on a Docker network with IPv6', () => {
  const corral = new Corral();
  const network = `corral-test-v6-${corral.tag}`;
  const container = `corral-test-v6-${corral.tag}`;
  // A random unique-local /64, so that a network left by an aborted run cannot collide.
  // Groups of four hex digits without a leading zero, so that the prefix is written as Docker prints it.
  const group = () => (0x1000 + randomInt(0xf000)).toString(16);
  const prefix = `fd00:${group()}:${group()}:${group()}`;
  const subnet = `${prefix}::/64`;
  let address = '';
  let row: ApiV6Container;

  beforeAll(async () => {
    await corral.start();
    await sh('docker', ['network', 'create', '--label', 'corral.test=1', '--ipv6', '--subnet', subnet, network]);
    await sh('docker', [
      'run',
      '-d',
      '--name',
      container,
      '--label',
      'corral.test=1',
      '--network',
      network,
      TEST_IMAGE,
      'sleep',
      '3600',
    ]);
    const inspected = JSON.parse(await sh('docker', ['inspect', container]))[0];
    address = inspected.NetworkSettings.Networks[network].GlobalIPv6Address;
    // The premise: Docker gave the container an address in the subnet.
    expect(address.startsWith(`${prefix}::`), `docker gave ${address}`).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await sh('docker', ['rm', '-f', container]).catch(() => {});
    await sh('docker', ['network', 'rm', network]).catch(() => {});
    await corral.stop();
  });

  it('shows the container with its IPv6 address, and the network with its IPv6 subnet', async () => {
    row = await waitFor('container with its IPv6 address in the API', async () => {
      const c = (await corral.container(container)) as ApiV6Container | undefined;
      return c?.state === 'running' && c.ipv6.length > 0 ? c : undefined;
    });
    expect(row.ipv6).toEqual([address]);
    expect(row.ipv4).toHaveLength(1);
    expect(row.networks).toEqual([expect.objectContaining({ name: network, ipv6: address })]);
    const networks = await corral.get<Page<{ name: string; subnets: string[] }>>(
      `/api/v1/networks?host=${corral.hostId}&name=${network}`,
    );
    expect(networks.body.items[0]?.subnets).toContain(subnet);
    const byIp = await corral.get<Page<{ id: string }>>(`/api/v1/containers?ip=${encodeURIComponent(address)}`);
    expect(byIp.body.items.map((c) => c.id)).toEqual([row.id]);
  });

  it('finds the container and its network at /api/v1/ip/{ipv6}, in any spelling of the address', async () => {
    const expanded = expand(address);
    for (const spelling of [address, address.toUpperCase(), expanded]) {
      const res = await corral.get<{ address: string; matches: IpMatch[] }>(`/api/v1/ip/${spelling}`);
      expect(res.status, `${spelling}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.address).toBe(address);
      const ours = res.body.matches.filter((m) => m.host.id === corral.hostId);
      expect(ours.map((m) => [m.kind, m.id])).toContainEqual(['container', row.id]);
      expect(ours.find((m) => m.kind === 'network')).toMatchObject({ name: network, subnet });
    }
    // An address of the subnet that no container holds matches the network alone.
    const free = await corral.get<{ matches: IpMatch[] }>(`/api/v1/ip/${prefix}::ffff`);
    expect(free.body.matches.filter((m) => m.host.id === corral.hostId).map((m) => m.kind)).toEqual(['network']);
  });

  it('drops the address when the container leaves the network', async () => {
    await sh('docker', ['network', 'disconnect', network, container]);
    await waitFor('IPv6 address gone from the API', async () => {
      const c = (await corral.container(container)) as ApiV6Container | undefined;
      return c !== undefined && c.ipv6.length === 0;
    });
    const res = await corral.get<{ matches: IpMatch[] }>(`/api/v1/ip/${address}`);
    expect(res.body.matches.filter((m) => m.kind === 'container')).toEqual([]);
  });
});

// fd00:1:2:3::2 -> fd00:0001:0002:0003:0000:0000:0000:0002
function expand(ipv6: string): string {
  const [head, tail] = ipv6.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = Array(8 - left.length - right.length).fill('0');
  return [...left, ...(tail === undefined ? [] : middle), ...right].map((g) => g.padStart(4, '0')).join(':');
}
