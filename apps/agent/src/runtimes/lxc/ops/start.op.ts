import { join } from 'node:path';
import { type CommandContext, CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { CommandError } from '../../../lib/run.js';
import { toFailure } from './lxc-error.js';
import {
  budget,
  containerRef,
  containerState,
  type LxcDeps,
  type LxcRef,
  lxc,
  requireState,
} from './lxc-op.context.js';

const START_TIMEOUT_MS = 60_000;
const RUNNING_WAIT_SECONDS = 30;

// Starts a stopped container and waits until it is RUNNING; a running one is left as it is.
export async function startContainer(deps: LxcDeps, ctx: CommandContext, ref: LxcRef): Promise<string> {
  const state = await containerState(deps, ctx, ref);
  if (state === 'RUNNING') return state;
  requireState(ref, state, ['STOPPED'], state === 'FROZEN' ? 'unfreeze it instead' : 'wait until it has settled');
  const args = ['-P', ref.lxcPath, '-n', ref.name];
  await deps.files.withTempDir(async (dir) => {
    // lxc-start's stderr only says "The container failed to start"; the reason is in its log.
    const log = join(dir, 'start.log');
    try {
      await deps.run('lxc-start', [...args, '-l', 'ERROR', '-o', log], { timeoutMs: budget(ctx, START_TIMEOUT_MS) });
    } catch (error) {
      if (!(error instanceof CommandError) || error.failure !== 'exit') throw toFailure(error, 'lxc-start');
      // The log only adds detail; when it cannot be read the failure is still reported with stderr.
      const detail = await deps.files.readText(log).catch(() => '');
      throw toFailure(withStderr(error, `${error.stderr}\n${detail}`), 'lxc-start');
    }
  });
  const wait = ['-s', 'RUNNING', '-t', String(RUNNING_WAIT_SECONDS)];
  // lxc-wait exits 1, silently, when the state did not come in time.
  await lxc(deps, ctx, 'lxc-wait', [...args, ...wait], (RUNNING_WAIT_SECONDS + 5) * 1000, () => {
    return new CommandFailure(
      'timeout',
      `container ${ref.name} did not reach RUNNING in ${RUNNING_WAIT_SECONDS} s`,
      true,
    );
  });
  return containerState(deps, ctx, ref);
}

function withStderr(error: CommandError, stderr: string): CommandError {
  return new CommandError(error.command, error.args, error.failure, error.exitCode, stderr, 'failed');
}

export const lxcStart =
  (deps: LxcDeps): OpHandler<'container.start'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    return { ...ref, state: await startContainer(deps, ctx, ref) };
  };
