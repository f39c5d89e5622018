import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { containerExists, containerRef, containerState, type LxcDeps, lxc, requireState } from './lxc-op.context.js';

const CLONE_TIMEOUT_MS = 10 * 60_000;

// A full copy, or with `snapshot` an overlay clone that shares the source's root file system (the source then
// cannot be destroyed while the clone exists). LXC copies a running source only with --allowrunning, which risks
// a torn file system, so the source must be stopped.
export const lxcClone =
  (deps: LxcDeps): OpHandler<'container.clone'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    const { newName, snapshot } = ctx.params;
    requireState(ref, await containerState(deps, ctx, ref), ['STOPPED'], 'stop it before cloning');
    if (await containerExists(deps, ctx, { ...ref, name: newName })) {
      throw new CommandFailure('conflict', `a container named ${newName} already exists in ${ref.lxcPath}`);
    }
    const args = ['-P', ref.lxcPath, '-n', ref.name, '-N', newName, ...(snapshot ? ['-s'] : [])];
    await lxc(deps, ctx, 'lxc-copy', args, CLONE_TIMEOUT_MS);
    return { name: newName, lxcPath: ref.lxcPath, source: ref.name, snapshot };
  };
