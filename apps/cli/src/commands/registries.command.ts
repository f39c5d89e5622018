import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import { usage } from '../lib/errors.js';
import { ago } from '../lib/output.js';

interface Registry {
  id: string;
  address: string;
  username: string | null;
  secretKind: string;
  insecure: boolean;
  createdAt: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

// Registries pulls authenticate to (admin). Secrets come on stdin, never on the command line.
export function registerRegistries(program: Command): void {
  const registries = program
    .command('registry')
    .alias('registries')
    .description('registries pulls authenticate to (admin): add, ls, rm')
    .addHelpText(
      'after',
      examples(
        'corral registry ls',
        'corral registry add 10.0.0.5:5000 -u puller --password-stdin < pass.txt',
        'corral registry rm 10.0.0.5:5000',
      ),
    );

  registries
    .command('add')
    .description('add a registry with its username and password (or token), read from stdin')
    .argument('<address>', 'host[:port] as image references name it (docker.io for Docker Hub)')
    .option('-u, --username <name>', 'user name')
    .option('--password-stdin', 'read the password from stdin')
    .option('--token-stdin', 'read an identity token from stdin instead of a password')
    .option('--insecure', 'the registry speaks plain HTTP')
    .addHelpText(
      'after',
      examples(
        'corral registry add 10.0.0.5:5000 -u puller --password-stdin < pass.txt',
        'corral registry add reg.example.com --token-stdin --insecure',
      ),
    )
    .action(
      async (
        address: string,
        opts: { username?: string; passwordStdin?: boolean; tokenStdin?: boolean; insecure?: boolean },
        cmd: Command,
      ) => {
        const cli = Cli.of(cmd);
        if (Boolean(opts.passwordStdin) === Boolean(opts.tokenStdin)) {
          throw usage('give --password-stdin or --token-stdin (the secret comes on stdin, never as an argument)');
        }
        const secret = await readStdin();
        if (!secret) throw usage('nothing on stdin: the password or token is read from there');
        const made = await (await cli.client()).call<Registry>('POST', '/api/v1/registries', {
          address,
          ...(opts.username ? { username: opts.username } : {}),
          ...(opts.tokenStdin ? { token: secret } : { password: secret }),
          insecure: Boolean(opts.insecure),
        });
        if (cli.out.json) cli.out.data(made);
        else cli.out.line(made.id);
        cli.out.note(`registry ${made.address} added; its ${made.secretKind} is stored encrypted and never shown`);
      },
    );

  registries
    .command('ls')
    .alias('list')
    .description('list registries (never their secrets)')
    .addHelpText('after', examples('corral registry ls', 'corral registry ls --json'))
    .action(async (_opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const list = await (await cli.client()).call<{ items: Registry[] }>('GET', '/api/v1/registries');
      cli.out.list(
        list.items,
        [
          { header: 'ADDRESS', value: (r) => r.address },
          { header: 'USERNAME', value: (r) => r.username },
          { header: 'SECRET', value: (r) => r.secretKind },
          { header: 'INSECURE', value: (r) => (r.insecure ? 'yes' : 'no') },
          { header: 'CREATED', value: (r) => ago(r.createdAt) },
          { header: 'ID', value: (r) => r.id },
        ],
        (r) => r.id,
      );
    });

  registries
    .command('rm')
    .alias('remove')
    .description('remove registries and their credentials')
    .argument('<registries...>', 'id or address')
    .addHelpText('after', examples('corral registry rm 10.0.0.5:5000'))
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      for (const ref of refs) {
        await client.call('DELETE', `/api/v1/registries/${encodeURIComponent(ref)}`);
        cli.out.json ? cli.out.data({ removed: ref }) : cli.out.line(ref);
      }
    });
}
