import type { OpHandler } from '../../../executor/handler.js';
import { containerRef, containerState, type LxcDeps, lxc, requireState } from './lxc-op.context.js';

const FREEZE_TIMEOUT_MS = 30_000;

export const lxcFreeze =
  (deps: LxcDeps): OpHandler<'container.freeze'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    const state = await containerState(deps, ctx, ref);
    if (state === 'FROZEN') return { ...ref, state };
    requireState(ref, state, ['RUNNING'], 'only a running container can be frozen');
    await lxc(deps, ctx, 'lxc-freeze', ['-P', ref.lxcPath, '-n', ref.name], FREEZE_TIMEOUT_MS);
    return { ...ref, state: await containerState(deps, ctx, ref) };
  };

export const lxcUnfreeze =
  (deps: LxcDeps): OpHandler<'container.unfreeze'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    const state = await containerState(deps, ctx, ref);
    if (state === 'RUNNING') return { ...ref, state };
    requireState(ref, state, ['FROZEN'], 'only a frozen container can be unfrozen');
    await lxc(deps, ctx, 'lxc-unfreeze', ['-P', ref.lxcPath, '-n', ref.name], FREEZE_TIMEOUT_MS);
    return { ...ref, state: await containerState(deps, ctx, ref) };
  };
