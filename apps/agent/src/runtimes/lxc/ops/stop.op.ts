import type { CommandContext, OpHandler } from '../../../executor/handler.js';
import { containerRef, containerState, type LxcDeps, type LxcRef, lxc } from './lxc-op.context.js';

// Time lxc-stop gets beyond the shutdown timeout to kill what did not stop and tear down.
const STOP_SLACK_MS = 30_000;

export interface StopOptions {
  timeoutSeconds: number;
  kill: boolean;
}

// Asks init to shut down and hard-stops after timeoutSeconds; `kill` (or a zero timeout) hard-stops at once.
export async function stopContainer(deps: LxcDeps, ctx: CommandContext, ref: LxcRef, opts: StopOptions) {
  const state = await containerState(deps, ctx, ref);
  if (state === 'STOPPED') return state;
  // lxc-stop -t 0 only sends the halt signal and returns, leaving the container running.
  const how = opts.kill || opts.timeoutSeconds === 0 ? ['-k'] : ['-t', String(opts.timeoutSeconds)];
  try {
    await lxc(
      deps,
      ctx,
      'lxc-stop',
      ['-P', ref.lxcPath, '-n', ref.name, ...how],
      opts.timeoutSeconds * 1000 + STOP_SLACK_MS,
    );
  } catch (error) {
    // It stopped on its own in the meantime (lxc-stop then exits 2, "not running").
    if ((await containerState(deps, ctx, ref)) !== 'STOPPED') throw error;
  }
  return containerState(deps, ctx, ref);
}

export const lxcStop =
  (deps: LxcDeps): OpHandler<'container.stop'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    return { ...ref, state: await stopContainer(deps, ctx, ref, ctx.params) };
  };
