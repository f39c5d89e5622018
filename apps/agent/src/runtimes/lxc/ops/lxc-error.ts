import { CommandFailure } from '../../../executor/handler.js';
import { CommandError } from '../../../lib/run.js';

// Lines every failed lxc-start prints; they point at options the agent already uses.
const BOILERPLATE = [/run the container in foreground mode/, /setting the --logfile and --logpriority options/];

// "lxc-start: c1: ../src/lxc/tools/lxc_start.c: main: 306 The container failed to start"
const TOOL_PREFIX = /^lxc-[a-z-]+: [^:]*: \S+\.c: \w+: \d+ /;
// "lxc-start c1 20261129070212.165 ERROR    start - ../src/lxc/start.c:lxc_spawn:1840 - Failed to create the network"
const LOG_PREFIX = /^(?:.*?\s)?(?:ERROR|WARN|NOTICE|INFO|DEBUG|TRACE)\s+\S+ - \S+:\w+:\d+ - /;

// The messages of lxc-* stderr without their source locations, deduplicated, in order.
export function lxcErrorText(stderr: string): string {
  const seen = new Set<string>();
  for (const raw of stderr.split('\n')) {
    const line = raw.trim().replace(TOOL_PREFIX, '').replace(LOG_PREFIX, '').trim();
    if (line === '' || BOILERPLATE.some((re) => re.test(line))) continue;
    seen.add(line);
  }
  return [...seen].join('; ');
}

// Maps a failed lxc-* run to the wire error; anything else is a bug and stays as it is.
export function toFailure(error: unknown, what: string): unknown {
  if (!(error instanceof CommandError)) return error;
  switch (error.failure) {
    case 'timeout':
      return new CommandFailure('timeout', `${what}: ${error.command} did not finish in time`, true);
    case 'not-found':
      return new CommandFailure('unsupported', `${what}: ${error.command} is not installed on this host`);
    default: {
      const detail = lxcErrorText(error.stderr);
      const code = error.exitCode === null ? 'no exit code' : `exit code ${error.exitCode}`;
      return new CommandFailure(
        'engine_error',
        `${what}: ${error.command} failed (${code})${detail ? `: ${detail}` : ''}`,
      );
    }
  }
}
