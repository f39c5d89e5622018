import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { containerRef, containerState, type LxcDeps, lxc } from './lxc-op.context.js';

const DESTROY_TIMEOUT_MS = 120_000;

// lxc-destroy also removes the container's snapshots; `force` stops a running (or frozen) container first.
export const lxcRemove =
  (deps: LxcDeps): OpHandler<'container.remove'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    const state = await containerState(deps, ctx, ref);
    if (state !== 'STOPPED' && !ctx.params.force) {
      throw new CommandFailure('conflict', 'container is running; stop it first or use force');
    }
    const args = ['-P', ref.lxcPath, '-n', ref.name, ...(ctx.params.force ? ['-f'] : [])];
    await lxc(deps, ctx, 'lxc-destroy', args, DESTROY_TIMEOUT_MS, (error) =>
      /has clones/.test(error.stderr)
        ? new CommandFailure('conflict', `container ${ref.name} has snapshot clones; remove them first`)
        : null,
    );
    return { ...ref, removed: true };
  };
