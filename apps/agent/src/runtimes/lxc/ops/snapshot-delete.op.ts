import type { OpHandler } from '../../../executor/handler.js';
import { containerRef, containerState, type LxcDeps, lxc } from './lxc-op.context.js';
import { requireSnapshot, SNAPSHOT_TIMEOUT_MS } from './snapshot-list.op.js';

export const lxcSnapshotDelete =
  (deps: LxcDeps): OpHandler<'container.snapshot.delete'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    await containerState(deps, ctx, ref);
    await requireSnapshot(deps, ctx, ref, ctx.params.snapshot);
    await lxc(
      deps,
      ctx,
      'lxc-snapshot',
      ['-P', ref.lxcPath, '-n', ref.name, '-d', ctx.params.snapshot],
      SNAPSHOT_TIMEOUT_MS,
    );
    return { ...ref, snapshot: ctx.params.snapshot, deleted: true };
  };
