import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAdmin } from './commands/admin.command.js';
import { registerCompletion } from './commands/completion.command.js';
import { registerDoctor } from './commands/doctor.command.js';
import { registerExec } from './commands/exec.command.js';
import { registerHosts } from './commands/hosts.command.js';
import { registerCommit, registerImages } from './commands/images.command.js';
import { registerInspect } from './commands/inspect.command.js';
import { registerLifecycle } from './commands/lifecycle.command.js';
import { registerLogin } from './commands/login.command.js';
import { registerLogs } from './commands/logs.command.js';
import { registerMove } from './commands/move.command.js';
import { registerPs } from './commands/ps.command.js';
import { registerRegistries } from './commands/registries.command.js';
import { registerResources } from './commands/resources.command.js';
import { registerRun } from './commands/run.command.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    the request was refused, or the work it started failed (details: corral commands show ID)
  2    usage: wrong flags or arguments, or no controller configured
  125  Corral itself failed: the controller is unreachable or failed, a stream was cut (agent gone)
  N    exec and run: the process's own exit code (128+n when a signal ended it)
  130  interrupted with Ctrl-C (logs -f, events -f, exec without -t)

Configuration: ~/.config/corral/config.json (mode 0600), written by corral login; CORRAL_URL and
CORRAL_TOKEN (and CORRAL_CONTEXT, CORRAL_CONFIG) override it. Colours only on a terminal (NO_COLOR).
`;

// The options every command takes, wherever they are written on the line.
function addCommon(cmd: Command): void {
  cmd
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print ids only')
    .option('--context <name>', 'use this saved context')
    .option('--url <url>', 'controller URL (overrides the context and CORRAL_URL)')
    .option('--token <token>', 'API token (overrides the context and CORRAL_TOKEN)')
    .option('--no-color', 'no colours');
  for (const sub of cmd.commands) addCommon(sub);
}

export function buildProgram(): Command {
  const program = new Command('corral')
    .description('docker-like commands for a whole Corral fleet of Docker and LXC hosts')
    .version(VERSION, '--version')
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `\nExamples:\n  $ corral login http://127.0.0.1:7070 --token crl_api_...\n  $ corral ps -a\n  $ corral exec -it web sh\n  $ corral logs -f web\n${EXIT_CODES_HELP}`,
    );
  registerLogin(program);
  registerHosts(program);
  registerDoctor(program);
  registerPs(program);
  registerInspect(program);
  registerRun(program);
  registerExec(program);
  registerLogs(program);
  registerLifecycle(program);
  registerCommit(program.command('commit'), 'corral commit web web-snapshot:1');
  registerImages(program);
  registerMove(program);
  registerRegistries(program);
  registerResources(program);
  registerAdmin(program);
  registerCompletion(program);
  // login takes its own --token (the one to save); it gets the rest.
  for (const sub of program.commands) {
    if (sub.name() === 'login') {
      sub.option('--json', 'print JSON').option('-q, --quiet', 'print nothing').option('--no-color', 'no colours');
      continue;
    }
    addCommon(sub);
  }
  program
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print ids only')
    .option('--context <name>', 'use this saved context')
    .option('--no-color', 'no colours');
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    for (const sub of cmd.commands) exitOverride(sub);
  };
  exitOverride(program);
  return program;
}
