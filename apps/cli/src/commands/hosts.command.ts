import type { Host } from '@corral/client';
import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import { usage } from '../lib/errors.js';
import { ago, type Column, stateColor, text } from '../lib/output.js';

const enc = encodeURIComponent;

export const HOST_COLUMNS: Column<Host>[] = [
  { header: 'HOSTNAME', value: (h) => h.hostname },
  { header: 'STATUS', value: (h) => (h.cordoned ? `${h.status},cordoned` : h.status), color: (t) => stateColor(t) },
  {
    header: 'RUNTIMES',
    value: (h) =>
      (h.runtimes as { name: string; available: boolean }[])
        .filter((r) => r.available)
        .map((r) => r.name)
        .join(','),
  },
  { header: 'CONTAINERS', value: (h) => (h.counts as { containers?: number } | null)?.containers ?? '-' },
  { header: 'LABELS', value: (h) => text(h.effectiveLabels) },
  { header: 'LAST SEEN', value: (h) => ago(h.lastSeenAt) },
  { header: 'ID', value: (h) => h.id },
];

export function registerHosts(program: Command): void {
  const hosts = program
    .command('hosts')
    .description('the hosts of the fleet: list, show, label, cordon, drain, revoke, remove')
    .addHelpText(
      'after',
      examples('corral hosts ls', 'corral hosts show web-1', 'corral hosts cordon web-1 --reason "disk swap"'),
    );

  hosts
    .command('ls')
    .alias('list')
    .description('list hosts')
    .option('--label <key=value>', 'only hosts with this label (or substring)')
    .option('--status <status>', 'online or offline')
    .addHelpText('after', examples('corral hosts ls', 'corral hosts ls --label zone=eu -q'))
    .action(async (opts: { label?: string; status?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      const rows: Host[] = [];
      for await (const h of client.all<Host>('/hosts', { label: opts.label, status: opts.status })) rows.push(h);
      cli.out.list(rows, HOST_COLUMNS, (h) => h.id);
    });

  hosts
    .command('show')
    .alias('inspect')
    .description('one host: status, facts, runtimes, labels')
    .argument('<host>', 'hostname or id')
    .addHelpText('after', examples('corral hosts show web-1', 'corral hosts show web-1 --json'))
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const h = await (await cli.client()).host(ref);
      const facts = (h.facts ?? {}) as Record<string, unknown>;
      cli.out.object(h as unknown as Record<string, unknown>, h.id, [
        ['hostname', h.hostname],
        ['id', h.id],
        ['status', h.cordoned ? `${h.status}, cordoned (${h.cordonReason ?? 'no reason'})` : h.status],
        ['last seen', ago(h.lastSeenAt)],
        ['agent', `${h.agentVersion ?? '-'} (protocol ${h.protocolVersion ?? '-'})`],
        ['os', facts.os],
        ['cpus', facts.cpuCount],
        ['memory', facts.memoryTotalBytes],
        [
          'runtimes',
          (h.runtimes as { name: string; version: string | null; available: boolean }[]).map(
            (r) => `${r.name} ${r.available ? (r.version ?? '') : '(unavailable)'}`,
          ),
        ],
        ['labels', h.effectiveLabels],
        ['counts', h.counts],
      ]);
    });

  hosts
    .command('label')
    .description("set or remove a host's API labels (KEY=VALUE to set, KEY- to remove)")
    .argument('<host>', 'hostname or id')
    .argument('<labels...>', 'KEY=VALUE or KEY-')
    .addHelpText('after', examples('corral hosts label web-1 zone=eu disk=ssd', 'corral hosts label web-1 disk-'))
    .action(async (ref: string, changes: string[], _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      const host = await client.host(ref);
      const labels = { ...((host.labels ?? {}) as Record<string, string>) };
      for (const change of changes) {
        if (change.endsWith('-') && !change.includes('=')) delete labels[change.slice(0, -1)];
        else if (change.indexOf('=') > 0)
          labels[change.slice(0, change.indexOf('='))] = change.slice(change.indexOf('=') + 1);
        else throw usage(`"${change}" is neither KEY=VALUE nor KEY-`);
      }
      const updated = await client.call<Host>('PUT', `/api/v1/hosts/${enc(host.id)}/labels`, { labels });
      if (cli.out.json) cli.out.data(updated);
      else cli.out.line(`${updated.hostname}: ${text(updated.effectiveLabels)}`);
    });

  for (const verb of ['cordon', 'uncordon'] as const) {
    const c = hosts
      .command(verb)
      .description(
        verb === 'cordon'
          ? 'keep new placements off a host (what runs there stays)'
          : 'let placements use a host again',
      )
      .argument('<hosts...>', 'hostnames or ids')
      .addHelpText(
        'after',
        examples(verb === 'cordon' ? 'corral hosts cordon web-1 --reason maintenance' : 'corral hosts uncordon web-1'),
      );
    if (verb === 'cordon') c.option('--reason <text>', 'why, shown in hosts show and placement explanations');
    c.action(async (refs: string[], opts: { reason?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      for (const ref of refs) {
        const host = await client.call<Host>(
          'POST',
          `/api/v1/hosts/${enc(ref)}/${verb}`,
          opts.reason ? { reason: opts.reason } : {},
        );
        if (cli.out.json) cli.out.data(host);
        else cli.out.line(host.hostname);
      }
    });
  }

  hosts
    .command('drain')
    .description('cordon a host and list what runs there and would have to move')
    .argument('<host>', 'hostname or id')
    .option('--reason <text>', 'why (default: draining)')
    .addHelpText('after', examples('corral hosts drain web-1', 'corral hosts drain web-1 -q'))
    .action(async (ref: string, opts: { reason?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const drain = await (await cli.client()).call<{ host: Host; containers: Record<string, unknown>[] }>(
        'POST',
        `/api/v1/hosts/${enc(ref)}/drain`,
        opts.reason ? { reason: opts.reason } : {},
      );
      if (cli.out.json) return cli.out.data(drain);
      cli.out.note(`${drain.host.hostname} is cordoned; ${drain.containers.length} container(s) would have to move:`);
      cli.out.list(
        drain.containers,
        [
          { header: 'NAME', value: (c) => c.name as string },
          { header: 'RUNTIME', value: (c) => c.runtime as string },
          { header: 'GROUP', value: (c) => c.group as string },
          { header: 'PLACEMENT', value: (c) => c.placementId as string },
          { header: 'ID', value: (c) => c.id as string },
        ],
        (c) => c.id as string,
      );
    });

  hosts
    .command('revoke')
    .description("revoke a host's agent credential and disconnect it (admin); it must enroll again")
    .argument('<host>', 'hostname or id')
    .addHelpText('after', examples('corral hosts revoke web-1'))
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const answer = await (await cli.client()).call<Record<string, unknown>>(
        'POST',
        `/api/v1/hosts/${enc(ref)}/revoke`,
        {},
      );
      if (cli.out.json) cli.out.data(answer);
      else
        cli.out.line(
          `${ref}: credential revoked, ${text(answer.disconnected ?? answer.closedConnections ?? 0)} connection(s) closed`,
        );
    });

  hosts
    .command('rm')
    .alias('remove')
    .description('remove a host with its inventory and commands (admin); its agent is cut off')
    .argument('<hosts...>', 'hostnames or ids')
    .addHelpText('after', examples('corral hosts rm old-1'))
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      for (const ref of refs) {
        await client.call('DELETE', `/api/v1/hosts/${enc(ref)}`);
        cli.out.line(ref);
      }
    });
}
