import type { Command } from 'commander';
import { Cli, collect, examples, keyValues } from '../lib/cli.js';
import { describeError, EXIT, usage } from '../lib/errors.js';
import { attachStdin, exitOf, writeOut } from '../lib/terminal.js';

interface ExecOptions {
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  detach?: boolean;
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description(
      'run a command in a container; -i and -t stream it through the controller like docker exec -it, without them it runs as a recorded command',
    )
    .argument('<container>', 'name, id or HOST/NAME')
    .argument('<command...>', 'the program and its arguments')
    .option('-i, --interactive', 'keep stdin open and send it')
    .option('-t, --tty', 'run under a terminal (needs one here)')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('-u, --user <user>', 'user (name, uid or uid:gid)')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-d, --detach', 'without -i/-t: do not wait; print the command id')
    .passThroughOptions()
    .addHelpText(
      'after',
      `${examples('corral exec -it web sh', 'corral exec web cat /etc/hostname', 'echo hi | corral exec -i web-1/app cat', 'corral exec -it h1/c1 sh   # an LXC container')}
The exit code is the command's own; 125 when Corral could not run it.\n`,
    )
    .action(async (ref: string, command: string[], opts: ExecOptions, cmd: Command) => {
      const cli = Cli.of(cmd);
      const env = keyValues(opts.env, '--env');
      const client = await cli.client();
      try {
        if (!opts.interactive && !opts.tty) {
          const params = {
            command,
            env,
            ...(opts.user ? { user: opts.user } : {}),
            ...(opts.workdir ? { workdir: opts.workdir } : {}),
          };
          const done = await cli.op('container.exec', ref, params, { detach: opts.detach, label: `exec in ${ref}` });
          if (!done) return;
          const result = done.result as { exitCode: number | null; stdout: string; stderr: string; truncated: boolean };
          if (cli.out.json) cli.out.data(done);
          else {
            process.stdout.write(result.stdout);
            process.stderr.write(result.stderr);
            if (result.truncated)
              cli.out.note('corral: output was cut (maxOutputBytes); use exec -i to stream all of it');
          }
          process.exitCode = result.exitCode ?? EXIT.corral;
          return;
        }
        if (opts.tty && !process.stdin.isTTY)
          throw usage('the input device is not a TTY', 'drop -t, or run corral from a terminal');
        const conn = await client.execStream(
          ref,
          {
            command,
            tty: Boolean(opts.tty),
            stdin: Boolean(opts.interactive),
            env,
            ...(opts.user ? { user: opts.user } : {}),
            ...(opts.workdir ? { workdir: opts.workdir } : {}),
            ...(opts.tty && process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : {}),
          },
          { onOutput: writeOut },
        );
        const detach = attachStdin(conn, { tty: Boolean(opts.tty), stdin: Boolean(opts.interactive) });
        // Without a terminal Ctrl-C is ours: leave, and the process is killed.
        const onSigint = () => {
          conn.close();
          detach();
          process.exit(EXIT.interrupted);
        };
        if (!opts.tty) process.once('SIGINT', onSigint);
        const outcome = await conn.done;
        detach();
        process.off('SIGINT', onSigint);
        process.exitCode = exitOf(outcome);
      } catch (error) {
        throw describeError(error, cli.target?.url ?? null, true);
      }
    });
}
