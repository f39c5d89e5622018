import type { OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { splitReference } from './image-import.op.js';
import { MANAGED_LABEL, targetId } from './op-support.js';

export function imageTagOp(docker: DockerOps): OpHandler<'image.tag'> {
  return async (ctx) => {
    const id = targetId(ctx);
    const { repo, tag } = splitReference(ctx.params.reference);
    await docker.api.getImage(id).tag({ repo, tag });
    return { id, reference: ctx.params.reference };
  };
}

export function imageRemoveOp(docker: DockerOps): OpHandler<'image.remove'> {
  return async (ctx) => {
    const id = targetId(ctx);
    const items = (await docker.api.getImage(id).remove({ force: ctx.params.force })) as {
      Untagged?: string;
      Deleted?: string;
    }[];
    return {
      id,
      untagged: items.flatMap((i) => (i.Untagged ? [i.Untagged] : [])),
      deleted: items.flatMap((i) => (i.Deleted ? [i.Deleted] : [])),
    };
  };
}

// Dangling images that Corral imported (they carry the managed label); tagged images, and images
// someone else made, stay.
export function imagePruneOp(docker: DockerOps): OpHandler<'image.prune'> {
  return async () => {
    const info = await docker.api.pruneImages({ filters: { dangling: ['true'], label: [`${MANAGED_LABEL}=true`] } });
    const removed = (info.ImagesDeleted ?? []).flatMap((i) => (i.Deleted ? [i.Deleted] : []));
    return { removed, spaceReclaimed: info.SpaceReclaimed ?? 0 };
  };
}
