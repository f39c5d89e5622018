import type { OpHandler } from '../../../executor/handler.js';
import { containerRef, type LxcDeps } from './lxc-op.context.js';
import { startContainer } from './start.op.js';
import { stopContainer } from './stop.op.js';

// Stop then start rather than lxc-stop -r: a reboot request has no shutdown timeout, and init may ignore it.
export const lxcRestart =
  (deps: LxcDeps): OpHandler<'container.restart'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    await stopContainer(deps, ctx, ref, { timeoutSeconds: ctx.params.timeoutSeconds, kill: false });
    return { ...ref, state: await startContainer(deps, ctx, ref) };
  };
