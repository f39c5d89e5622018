import type { CommandContext, OpHandler } from '../../../executor/handler.js';
import { CommandFailure } from '../../../executor/handler.js';
import { containerRef, containerState, type LxcDeps, type LxcRef, lxc } from './lxc-op.context.js';
import { type LxcSnapshot, parseLxcSnapshotList } from './lxc-snapshot.parser.js';

export const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;
const LIST_TIMEOUT_MS = 10_000;

export async function listSnapshots(deps: LxcDeps, ctx: CommandContext, ref: LxcRef): Promise<LxcSnapshot[]> {
  const { stdout } = await lxc(
    deps,
    ctx,
    'lxc-snapshot',
    ['-P', ref.lxcPath, '-n', ref.name, '-L', '-C'],
    LIST_TIMEOUT_MS,
  );
  const { snapshots, warnings } = parseLxcSnapshotList(stdout);
  for (const warning of warnings)
    ctx.logger.warn('skipped a line of lxc-snapshot -L', { container: ref.name, ...warning });
  return snapshots;
}

// The snapshot named in params; lxc-snapshot fails silently on a missing one, so look first.
export async function requireSnapshot(deps: LxcDeps, ctx: CommandContext, ref: LxcRef, name: string) {
  const found = (await listSnapshots(deps, ctx, ref)).find((s) => s.name === name);
  if (!found) throw new CommandFailure('not_found', `container ${ref.name} has no snapshot ${name}`);
  return found;
}

export const lxcSnapshotList =
  (deps: LxcDeps): OpHandler<'container.snapshot.list'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    await containerState(deps, ctx, ref);
    return { ...ref, snapshots: await listSnapshots(deps, ctx, ref) };
  };
