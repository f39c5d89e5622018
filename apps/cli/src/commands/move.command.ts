import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';

interface MoveReply {
  source: { hostname: string; name: string; state: string };
  target: { hostname: string; name: string; state: string; containerId: string | null };
  warnings: string[];
}

function print(cli: Cli, reply: MoveReply): void {
  if (cli.out.json) {
    cli.out.data(reply);
    return;
  }
  cli.out.line(
    `${reply.source.hostname}/${reply.source.name} (${reply.source.state}) -> ${reply.target.hostname}/${reply.target.name} (${reply.target.state})`,
  );
  for (const warning of reply.warnings) cli.out.line(`warning: ${warning}`);
}

// `corral mv` and `corral cp`: containers to another host through the controller (POST
// /containers/{id}/move and /copy); both answer once the container runs on the target.
export function registerMove(program: Command): void {
  program
    .command('mv')
    .description('move a container to another host (LXC; Docker with its data in named volumes)')
    .argument('<container>', 'name, id or HOST/NAME')
    .requiredOption('--to <host>', 'host to move it to')
    .addHelpText('after', examples('corral mv web --to h2', 'corral mv h1/db --to h3 --json'))
    .action(async (ref: string, opts: { to: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      print(
        cli,
        await client.call<MoveReply>('POST', `/api/v1/containers/${encodeURIComponent(ref)}/move`, { toHost: opts.to }),
      );
    });

  program
    .command('cp')
    .description('copy an LXC container to another host, optionally under another name')
    .argument('<container>', 'name, id or HOST/NAME')
    .requiredOption('--to <host>', 'host to copy it to')
    .option('--name <name>', 'name of the copy (default: the same name)')
    .addHelpText('after', examples('corral cp web --to h2', 'corral cp web --to h2 --name web2'))
    .action(async (ref: string, opts: { to: string; name?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      const body = { toHost: opts.to, ...(opts.name ? { name: opts.name } : {}) };
      print(cli, await client.call<MoveReply>('POST', `/api/v1/containers/${encodeURIComponent(ref)}/copy`, body));
    });
}
