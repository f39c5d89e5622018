import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { containerExists, containerRef, containerState, type LxcDeps, lxc, requireState } from './lxc-op.context.js';
import { requireSnapshot, SNAPSHOT_TIMEOUT_MS } from './snapshot-list.op.js';

// Restores over the container itself, or into a new container when newName is given; both need it stopped.
export const lxcSnapshotRestore =
  (deps: LxcDeps): OpHandler<'container.snapshot.restore'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    const { snapshot, newName } = ctx.params;
    requireState(ref, await containerState(deps, ctx, ref), ['STOPPED'], 'stop it before restoring a snapshot');
    await requireSnapshot(deps, ctx, ref, snapshot);
    if (
      newName !== undefined &&
      newName !== ref.name &&
      (await containerExists(deps, ctx, { ...ref, name: newName }))
    ) {
      throw new CommandFailure('conflict', `a container named ${newName} already exists in ${ref.lxcPath}`);
    }
    const args = ['-P', ref.lxcPath, '-n', ref.name, '-r', snapshot];
    if (newName !== undefined && newName !== ref.name) args.push('-N', newName);
    await lxc(deps, ctx, 'lxc-snapshot', args, SNAPSHOT_TIMEOUT_MS);
    const name = newName ?? ref.name;
    return { name, lxcPath: ref.lxcPath, restoredFrom: snapshot };
  };
