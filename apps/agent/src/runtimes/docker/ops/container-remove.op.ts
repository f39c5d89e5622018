import type { OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { targetId } from './op-support.js';

export function containerRemoveOp(docker: DockerOps): OpHandler<'container.remove'> {
  return async (ctx) => {
    const id = targetId(ctx);
    // v: also the anonymous volumes the container made; named volumes are never removed this way.
    await docker.api.getContainer(id).remove({ force: ctx.params.force, v: ctx.params.volumes });
    return { id };
  };
}

export function containerRenameOp(docker: DockerOps): OpHandler<'container.rename'> {
  return async (ctx) => {
    const id = targetId(ctx);
    await docker.api.getContainer(id).rename({ name: ctx.params.name });
    return { id, name: ctx.params.name };
  };
}
