import type { Container } from '@corral/client';
import type { Command } from 'commander';
import { Cli, collect, examples } from '../lib/cli.js';
import { usage } from '../lib/errors.js';
import { type Column, stateColor } from '../lib/output.js';

export const CONTAINER_COLUMNS: Column<Container>[] = [
  { header: 'NAME', value: (c) => c.name },
  { header: 'HOST', value: (c) => c.hostname },
  { header: 'RUNTIME', value: (c) => c.runtime },
  { header: 'IMAGE', value: (c) => c.image },
  { header: 'STATE', value: (c) => (c.stale ? `${c.state} (stale)` : c.state), color: (t) => stateColor(t) },
  { header: 'STATUS', value: (c) => c.status },
  { header: 'IP', value: (c) => c.ipv4 },
  { header: 'ENGINE ID', value: (c) => (c.runtime === 'docker' ? c.engineId.slice(0, 12) : '-') },
];

const FILTERS = new Set(['name', 'label', 'ip', 'mac', 'state', 'host', 'runtime', 'stale']);

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('containers of the whole fleet (running ones unless -a)')
    .option('-a, --all', 'every state, not only running')
    .option('--host <host>', 'one host (hostname or id)')
    .option('--runtime <runtime>', 'docker or lxc')
    .option('--filter <key=value>', 'name, label, ip, mac, state, host, runtime, stale (repeatable)', collect, [])
    .addHelpText(
      'after',
      examples(
        'corral ps',
        'corral ps -a --host web-1',
        'corral ps --runtime lxc --filter label=app=web',
        'corral ps -q --filter ip=10.0.3.55',
      ),
    )
    .action(async (opts: { all?: boolean; host?: string; runtime?: string; filter: string[] }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const query: Record<string, string> = {};
      if (!opts.all) query.state = 'running';
      for (const f of opts.filter) {
        const eq = f.indexOf('=');
        const key = f.slice(0, eq);
        if (eq <= 0 || !FILTERS.has(key))
          throw usage(`--filter "${f}": use one of ${[...FILTERS].join(', ')} as KEY=VALUE`);
        query[key] = f.slice(eq + 1);
      }
      if (opts.host) query.host = opts.host;
      if (opts.runtime) query.runtime = opts.runtime;
      const client = await cli.client();
      const rows: Container[] = [];
      for await (const c of client.all<Container>('/containers', query)) rows.push(c);
      cli.out.list(rows, CONTAINER_COLUMNS, (c) => c.id);
    });
}
