import type { OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { targetId, unlessAlready } from './op-support.js';

// start, stop, restart, kill, pause and unpause: one call each; `changed` is false when the
// container already was in the asked state.

export function containerStartOp(docker: DockerOps): OpHandler<'container.start'> {
  return async (ctx) => {
    const id = targetId(ctx);
    const changed = await unlessAlready(docker.api.getContainer(id).start());
    return { id, changed };
  };
}

export function containerStopOp(docker: DockerOps): OpHandler<'container.stop'> {
  return async (ctx) => {
    const id = targetId(ctx);
    const { timeoutSeconds, kill } = ctx.params;
    // Stopping waits up to timeoutSeconds for the process to exit: a deliberate wait, ended by the signal.
    const container = docker.waits.getContainer(id);
    const changed = await unlessAlready(
      kill
        ? container.kill({ abortSignal: ctx.signal })
        : container.stop({ t: timeoutSeconds, abortSignal: ctx.signal }),
    );
    return { id, changed };
  };
}

export function containerRestartOp(docker: DockerOps): OpHandler<'container.restart'> {
  return async (ctx) => {
    const id = targetId(ctx);
    await docker.waits.getContainer(id).restart({ t: ctx.params.timeoutSeconds, abortSignal: ctx.signal });
    return { id };
  };
}

export function containerKillOp(docker: DockerOps): OpHandler<'container.kill'> {
  return async (ctx) => {
    const id = targetId(ctx);
    await docker.api.getContainer(id).kill({ signal: ctx.params.signal });
    return { id, signal: ctx.params.signal };
  };
}

export function containerPauseOp(docker: DockerOps): OpHandler<'container.pause'> {
  return async (ctx) => {
    const id = targetId(ctx);
    await docker.api.getContainer(id).pause();
    return { id };
  };
}

export function containerUnpauseOp(docker: DockerOps): OpHandler<'container.unpause'> {
  return async (ctx) => {
    const id = targetId(ctx);
    await docker.api.getContainer(id).unpause();
    return { id };
  };
}
