import type { OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { splitReference } from './image-import.op.js';
import { targetId } from './op-support.js';

// docker commit: the container's file system and config as a new image under `reference`.
export function containerCommitOp(docker: DockerOps): OpHandler<'container.commit'> {
  return async (ctx) => {
    const container = targetId(ctx);
    const { reference, message, changes, pause } = ctx.params;
    const { repo, tag } = splitReference(reference);
    const answer = (await docker.api.getContainer(container).commit({
      repo,
      tag,
      comment: message,
      changes,
      pause,
      abortSignal: ctx.signal,
    })) as { Id?: string };
    const id = answer.Id ?? (await docker.api.getImage(reference).inspect()).Id;
    ctx.logger.info('container committed', { container, reference, id });
    return { id, reference, container };
  };
}
