import { join } from 'node:path';
import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { containerRef, containerState, type LxcDeps, lxc, requireState } from './lxc-op.context.js';
import { listSnapshots, SNAPSHOT_TIMEOUT_MS } from './snapshot-list.op.js';

// lxc-snapshot copies the root file system and refuses (silently) while the container runs.
export const lxcSnapshotCreate =
  (deps: LxcDeps): OpHandler<'container.snapshot.create'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    requireState(ref, await containerState(deps, ctx, ref), ['STOPPED'], 'stop it before taking a snapshot');
    const before = new Set((await listSnapshots(deps, ctx, ref)).map((s) => s.name));
    const args = ['-P', ref.lxcPath, '-n', ref.name];
    const comment = ctx.params.comment;
    await deps.files.withTempDir(async (dir) => {
      const commentArgs: string[] = [];
      if (comment !== undefined && comment !== '') {
        const file = join(dir, 'comment');
        // lxc-snapshot -L -C prints the file as it is; the newline keeps the next header on its own line.
        await deps.files.writeText(file, comment.endsWith('\n') ? comment : `${comment}\n`);
        commentArgs.push('-c', file);
      }
      await lxc(deps, ctx, 'lxc-snapshot', [...args, ...commentArgs], SNAPSHOT_TIMEOUT_MS);
    });
    // lxc-snapshot does not print the name it chose.
    const made = (await listSnapshots(deps, ctx, ref)).filter((s) => !before.has(s.name));
    if (made.length !== 1) {
      throw new CommandFailure('engine_error', `lxc-snapshot succeeded but ${made.length} new snapshots appeared`);
    }
    return { ...ref, snapshot: made[0]!.name, createdAt: made[0]!.createdAt };
  };
