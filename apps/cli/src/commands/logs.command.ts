import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import { EXIT, usage } from '../lib/errors.js';
import { parseDuration } from '../lib/output.js';
import { exitOf, writeOut } from '../lib/terminal.js';

// "10m" (before now) or an RFC 3339 time, as an ISO time.
export function sinceTime(value: string, now = Date.now()): string {
  const seconds = parseDuration(value);
  if (seconds !== null) return new Date(now - seconds * 1000).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw usage(`--since "${value}" is neither a duration (10m, 2h) nor a time (2026-01-02T15:04:05Z)`);
  return new Date(t).toISOString();
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("a container's log (Docker's, or the LXC console log), streamed through the controller")
    .argument('<container>', 'name, id or HOST/NAME')
    .option('-f, --follow', 'keep printing new lines (Ctrl-C ends it, exit 130)')
    .option('--since <when>', 'only lines after this: a duration (10m) or a time (Docker only)')
    .option('-n, --tail <lines>', 'lines from the end (default: all)')
    .option('-t, --timestamps', 'prefix lines with their time (Docker only)')
    .addHelpText(
      'after',
      examples(
        'corral logs web',
        'corral logs -f --tail 20 web',
        'corral logs --since 10m h1/app',
        'corral logs -f c1   # LXC console',
      ),
    )
    .action(
      async (
        ref: string,
        opts: { follow?: boolean; since?: string; tail?: string; timestamps?: boolean },
        cmd: Command,
      ) => {
        const cli = Cli.of(cmd);
        let tail: number | null = null;
        if (opts.tail !== undefined && opts.tail !== 'all') {
          tail = Number(opts.tail);
          if (!Number.isInteger(tail) || tail < 0)
            throw usage(`--tail must be a number of lines or "all", got "${opts.tail}"`);
        }
        const client = await cli.client();
        const conn = await client.logsStream(
          ref,
          {
            follow: Boolean(opts.follow),
            tail,
            timestamps: Boolean(opts.timestamps),
            ...(opts.since ? { since: sinceTime(opts.since) } : {}),
          },
          { onOutput: writeOut },
        );
        process.once('SIGINT', () => {
          conn.close();
          process.exit(EXIT.interrupted);
        });
        const outcome = await conn.done;
        exitOf(outcome);
        process.exitCode = EXIT.ok;
      },
    );
}
