import { CorralClient } from '@corral/client';
import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import { configPath, loadConfig, saveConfig } from '../lib/config-store.js';
import { describeError, usage } from '../lib/errors.js';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('check a controller and a token, and keep them as a context (the current one)')
    .argument('<url>', 'the controller, e.g. http://10.0.0.5:7070')
    .requiredOption('--token <token>', 'an API token (crl_api_...)')
    .option('--name <context>', 'context name (default: the URL host)')
    .addHelpText(
      'after',
      examples(
        'corral login http://127.0.0.1:7070 --token crl_api_xxx',
        'corral login https://corral.example:7070 --token "$T" --name prod',
      ),
    )
    .action(async (url: string, opts: { token: string; name?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw usage(`"${url}" is not a URL`, 'give the controller as http://HOST:PORT');
      }
      if (!/^https?:$/.test(parsed.protocol)) throw usage(`"${url}" must start with http:// or https://`);
      const base = url.replace(/\/+$/, '');
      const client = new CorralClient({ baseUrl: base, token: opts.token });
      try {
        await client.fleetSummary();
      } catch (error) {
        throw describeError(error, base);
      }
      const config = await loadConfig();
      const name = opts.name ?? parsed.host;
      config.contexts[name] = { url: base, token: opts.token };
      config.current = name;
      await saveConfig(config);
      if (cli.out.json) cli.out.data({ context: name, url: base });
      else cli.out.line(`Logged in to ${base} (context "${name}", saved in ${configPath()})`);
    });

  const context = program
    .command('context')
    .description('the saved controllers and tokens (contexts); CORRAL_URL and CORRAL_TOKEN override them')
    .addHelpText('after', examples('corral context ls', 'corral context use prod', 'corral context rm old'));
  context
    .command('ls')
    .alias('list')
    .description('list contexts; * marks the current one')
    .addHelpText('after', examples('corral context ls', 'corral context ls --json'))
    .action(async (_opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const config = await loadConfig();
      const rows = Object.entries(config.contexts).map(([name, c]) => ({
        current: name === config.current,
        name,
        url: c.url,
        token: `${c.token.slice(0, 12)}…`,
      }));
      cli.out.list(
        rows,
        [
          { header: 'CURRENT', value: (r) => (r.current ? '*' : '') },
          { header: 'NAME', value: (r) => r.name },
          { header: 'URL', value: (r) => r.url },
          { header: 'TOKEN', value: (r) => r.token },
        ],
        (r) => r.name,
      );
    });
  context
    .command('use')
    .description('make a context the current one')
    .argument('<name>')
    .addHelpText('after', examples('corral context use prod'))
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const config = await loadConfig();
      if (!config.contexts[name]) throw usage(`no context named "${name}"`, 'see them with: corral context ls');
      config.current = name;
      await saveConfig(config);
      Cli.of(cmd).out.note(`Now using context "${name}" (${config.contexts[name].url})`);
    });
  context
    .command('rm')
    .alias('remove')
    .description('forget a context and its token')
    .argument('<name>')
    .addHelpText('after', examples('corral context rm old'))
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const config = await loadConfig();
      if (!config.contexts[name]) throw usage(`no context named "${name}"`, 'see them with: corral context ls');
      delete config.contexts[name];
      if (config.current === name) config.current = Object.keys(config.contexts)[0] ?? null;
      await saveConfig(config);
      Cli.of(cmd).out.note(`Removed context "${name}"`);
    });
}
