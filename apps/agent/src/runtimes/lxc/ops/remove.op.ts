import { join } from 'node:path';
import { type CommandContext, CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { containerRef, containerState, type LxcDeps, type LxcRef, lxc } from './lxc-op.context.js';

const DESTROY_TIMEOUT_MS = 120_000;

// Without force, lxc-destroy refuses a container that runs or has snapshots; with force it is stopped and its
// snapshots go with it. Overlay clones (clone with snapshot: true) block removal either way.
export const lxcRemove =
  (deps: LxcDeps): OpHandler<'container.remove'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    const state = await containerState(deps, ctx, ref);
    const force = ctx.params.force;
    if (state !== 'STOPPED' && !force) {
      throw new CommandFailure('conflict', 'container is running; stop it first or use force');
    }
    // lxc-destroy -s deletes the snapshots before it notices the clones, so look first.
    const clones = await overlayClones(deps, ctx, ref);
    if (clones.length > 0) {
      throw new CommandFailure(
        'conflict',
        `container ${ref.name} has overlay clones (${clones.join(', ')}); remove them first`,
      );
    }
    const args = ['-P', ref.lxcPath, '-n', ref.name, ...(force ? ['-f', '-s'] : [])];
    await lxc(deps, ctx, 'lxc-destroy', args, DESTROY_TIMEOUT_MS, (error) => {
      if (/has clones/.test(error.stderr)) {
        return new CommandFailure('conflict', `container ${ref.name} has overlay clones; remove them first`);
      }
      if (/has snapshots/.test(error.stderr)) {
        return new CommandFailure('conflict', `container ${ref.name} has snapshots; delete them first or use force`);
      }
      return null;
    });
    return { ...ref, removed: true };
  };

// LXC records the clones that share a container's root file system in <container>/lxc_snapshots as pairs of
// lines: lxcpath, then name.
async function overlayClones(deps: LxcDeps, ctx: CommandContext, ref: LxcRef): Promise<string[]> {
  let text: string;
  try {
    text = await deps.files.readText(join(ref.lxcPath, ref.name, 'lxc_snapshots'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const names: string[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2)
    names.push(lines[i] === ref.lxcPath ? lines[i + 1]! : `${lines[i]}/${lines[i + 1]}`);
  if (lines.length % 2 === 1) ctx.logger.warn('odd line count in lxc_snapshots', { ...ref, text });
  return names;
}
