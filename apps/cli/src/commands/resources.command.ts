import type { Bridge, IpLookup, Lease, Network, Volume } from '@corral/client';
import type { Command } from 'commander';
import { Cli, collect, examples, keyValues } from '../lib/cli.js';
import { type Column, stateColor } from '../lib/output.js';

async function listAll<T>(cli: Cli, path: string, query: Record<string, unknown>): Promise<T[]> {
  const rows: T[] = [];
  for await (const r of (await cli.client()).all<T>(path, query)) rows.push(r);
  return rows;
}

export function registerResources(program: Command): void {
  const volumes = program
    .command('volumes')
    .description('Docker volumes: ls, create, rm, prune')
    .addHelpText(
      'after',
      examples('corral volumes ls', 'corral volumes create data --host h1', 'corral volumes rm h1/data'),
    );
  volumes
    .command('ls')
    .alias('list')
    .description('list volumes')
    .option('--host <host>')
    .addHelpText('after', examples('corral volumes ls --host h1'))
    .action(async (opts: { host?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const cols: Column<Volume>[] = [
        { header: 'NAME', value: (v) => v.name },
        { header: 'HOST', value: (v) => v.hostname },
        { header: 'DRIVER', value: (v) => v.driver },
        { header: 'USED BY', value: (v) => v.usedBy },
        { header: 'ID', value: (v) => v.id },
      ];
      cli.out.list(await listAll<Volume>(cli, '/volumes', { host: opts.host }), cols, (v) => v.id);
    });
  volumes
    .command('create')
    .description('create a volume on a host')
    .argument('<name>')
    .requiredOption('--host <host>')
    .option('--label <KEY=VALUE>', 'label (repeatable)', collect, [])
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral volumes create data --host h1 --label app=db'))
    .action(async (name: string, opts: { host: string; label: string[]; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op(
        'volume.create',
        opts.host,
        { name, labels: keyValues(opts.label, '--label') },
        { detach: opts.detach },
      );
      if (done) cli.out.json ? cli.out.data(done) : cli.out.line(name);
    });
  volumes
    .command('rm')
    .alias('remove')
    .description('remove volumes')
    .argument('<volumes...>', 'names, ids or HOST/NAME')
    .option('-f, --force')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral volumes rm h1/data'))
    .action(async (refs: string[], opts: { force?: boolean; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      for (const ref of refs) {
        const done = await cli.op('volume.remove', ref, { force: Boolean(opts.force) }, { detach: opts.detach });
        if (done) cli.out.json ? cli.out.data(done) : cli.out.line(ref);
      }
    });
  volumes
    .command('prune')
    .description('remove unused volumes Corral made on a host')
    .requiredOption('--host <host>')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral volumes prune --host h1'))
    .action(async (opts: { host: string; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op('volume.prune', opts.host, {}, { detach: opts.detach });
      if (!done) return;
      if (cli.out.json) return cli.out.data(done);
      for (const v of ((done.result ?? {}) as { removed?: string[] }).removed ?? []) cli.out.line(v);
    });

  const networks = program
    .command('networks')
    .description('Docker networks: ls, create, rm, connect, disconnect')
    .addHelpText(
      'after',
      examples('corral networks ls', 'corral networks create backend --host h1 --subnet 172.30.0.0/24'),
    );
  networks
    .command('ls')
    .alias('list')
    .description('list networks')
    .option('--host <host>')
    .addHelpText('after', examples('corral networks ls --host h1'))
    .action(async (opts: { host?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const cols: Column<Network>[] = [
        { header: 'NAME', value: (n) => n.name },
        { header: 'HOST', value: (n) => n.hostname },
        { header: 'DRIVER', value: (n) => n.driver },
        { header: 'SUBNETS', value: (n) => n.subnets },
        { header: 'BRIDGE', value: (n) => n.bridge },
        { header: 'ID', value: (n) => n.id },
      ];
      cli.out.list(await listAll<Network>(cli, '/networks', { host: opts.host }), cols, (n) => n.id);
    });
  networks
    .command('create')
    .description('create a bridge network on a host')
    .argument('<name>')
    .requiredOption('--host <host>')
    .option('--subnet <cidr>')
    .option('--label <KEY=VALUE>', 'label (repeatable)', collect, [])
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral networks create backend --host h1 --subnet 172.30.0.0/24'))
    .action(
      async (
        name: string,
        opts: { host: string; subnet?: string; label: string[]; detach?: boolean },
        cmd: Command,
      ) => {
        const cli = Cli.of(cmd);
        const params = {
          name,
          labels: keyValues(opts.label, '--label'),
          ...(opts.subnet ? { subnet: opts.subnet } : {}),
        };
        const done = await cli.op('network.create', opts.host, params, { detach: opts.detach });
        if (done) cli.out.json ? cli.out.data(done) : cli.out.line(name);
      },
    );
  networks
    .command('rm')
    .alias('remove')
    .description('remove networks')
    .argument('<networks...>')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral networks rm h1/backend'))
    .action(async (refs: string[], opts: { detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      for (const ref of refs) {
        const done = await cli.op('network.remove', ref, {}, { detach: opts.detach });
        if (done) cli.out.json ? cli.out.data(done) : cli.out.line(ref);
      }
    });
  for (const verb of ['connect', 'disconnect'] as const) {
    networks
      .command(verb)
      .description(`${verb} a Docker container ${verb === 'connect' ? 'to' : 'from'} a network`)
      .argument('<network>')
      .argument('<container>', 'Corral id, or the Docker id or name on that host')
      .option('-d, --detach', 'do not wait')
      .addHelpText('after', examples(`corral networks ${verb} h1/backend web`))
      .action(async (ref: string, container: string, opts: { detach?: boolean }, cmd: Command) => {
        const cli = Cli.of(cmd);
        const done = await cli.op(`network.${verb}`, ref, { container }, { detach: opts.detach });
        if (done) cli.out.json ? cli.out.data(done) : cli.out.line(container);
      });
  }

  program
    .command('bridges')
    .description('Linux bridges of the fleet')
    .option('--host <host>')
    .addHelpText('after', examples('corral bridges', 'corral bridges --host h1 --json'))
    .action(async (opts: { host?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const cols: Column<Bridge>[] = [
        { header: 'NAME', value: (b) => b.name },
        { header: 'HOST', value: (b) => b.hostname },
        { header: 'STATE', value: (b) => (b.up ? 'up' : 'down'), color: (t) => stateColor(t) },
        { header: 'ADDRESSES', value: (b) => b.addresses.map((a) => `${a.address}/${a.prefixLength}`) },
        { header: 'INTERFACES', value: (b) => b.interfaces },
        { header: 'ID', value: (b) => b.id },
      ];
      cli.out.list(await listAll<Bridge>(cli, '/bridges', { host: opts.host }), cols, (b) => b.id);
    });

  program
    .command('leases')
    .description('dnsmasq DHCP leases of the fleet')
    .option('--host <host>')
    .option('--ip <address>')
    .option('--mac <mac>')
    .addHelpText('after', examples('corral leases', 'corral leases --ip 10.0.3.55'))
    .action(async (opts: { host?: string; ip?: string; mac?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const cols: Column<Lease>[] = [
        { header: 'IP', value: (l) => l.ip },
        { header: 'MAC', value: (l) => l.mac },
        { header: 'CLIENT', value: (l) => l.clientHostname },
        { header: 'HOST', value: (l) => l.hostname },
        { header: 'BRIDGE', value: (l) => l.bridge },
        { header: 'EXPIRES', value: (l) => l.expiresAt },
        { header: 'ID', value: (l) => l.id },
      ];
      cli.out.list(
        await listAll<Lease>(cli, '/leases', { host: opts.host, ip: opts.ip, mac: opts.mac }),
        cols,
        (l) => l.id,
      );
    });

  program
    .command('ip')
    .description('everything that holds an address: containers, leases, bridges, networks')
    .argument('<address>')
    .addHelpText('after', examples('corral ip 10.0.3.55', 'corral ip 172.17.0.2 --json'))
    .action(async (address: string, _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const found: IpLookup = await (await cli.client()).ip(address);
      const matches = found.matches as { kind: string; id: string; name?: string; host: { hostname: string } }[];
      cli.out.list(
        matches,
        [
          { header: 'KIND', value: (m) => m.kind },
          { header: 'NAME', value: (m) => m.name },
          { header: 'HOST', value: (m) => m.host.hostname },
          { header: 'ID', value: (m) => m.id },
        ],
        (m) => m.id,
      );
    });
}
