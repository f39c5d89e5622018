import { CorralApiError } from '@corral/client';
import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import { CliError, usage } from '../lib/errors.js';

const KINDS = ['container', 'image', 'volume', 'network', 'host'] as const;
type Kind = (typeof KINDS)[number];
const PATH: Record<Kind, string> = {
  container: 'containers',
  image: 'images',
  volume: 'volumes',
  network: 'networks',
  host: 'hosts',
};

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('everything Corral knows of containers, images, volumes, networks or hosts, as JSON')
    .argument('<refs...>', 'names, ids, HOST/NAME')
    .option('--type <kind>', `only look for this kind: ${KINDS.join(', ')}`)
    .addHelpText(
      'after',
      examples('corral inspect web', 'corral inspect web-1/db --type container', 'corral inspect busybox:latest'),
    )
    .action(async (refs: string[], opts: { type?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      if (opts.type && !KINDS.includes(opts.type as Kind)) throw usage(`--type must be one of ${KINDS.join(', ')}`);
      const kinds = opts.type ? [opts.type as Kind] : [...KINDS];
      const client = await cli.client();
      const found: unknown[] = [];
      for (const ref of refs) {
        let hit: unknown = null;
        for (const kind of kinds) {
          try {
            hit = await client.get(`/${PATH[kind]}/${encodeURIComponent(ref)}`);
            break;
          } catch (error) {
            // Not this kind; an ambiguous name or anything else is the answer.
            if (!(error instanceof CorralApiError && error.status === 404)) throw error;
          }
        }
        if (!hit)
          throw new CliError(
            `nothing is named or has the id "${ref}"`,
            1,
            'list them with: corral ps -a, corral images ls, corral hosts ls',
          );
        found.push(hit);
      }
      if (cli.out.quiet) for (const f of found) cli.out.line((f as { id: string }).id);
      else cli.out.data(found);
    });
}
