import { join } from 'node:path';
import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { limitConfig } from './cgroup-limits.js';
import { setConfigKeys } from './lxc-config.editor.js';
import {
  configPath,
  containerExists,
  type LxcDeps,
  type LxcOpsOptions,
  type LxcRef,
  lxc,
  lxcDeps,
  managedPath,
} from './lxc-op.context.js';
import { startContainer } from './start.op.js';

// Templates may download and unpack a root file system.
const CREATE_TIMEOUT_MS = 10 * 60_000;
const ROLLBACK_TIMEOUT_MS = 120_000;

// Creates from a template, writes config keys and limits into the container's config, and starts it if asked.
// A failure after lxc-create destroys the half-made container, so the same command can simply be sent again.
export function lxcCreate(options: LxcOpsOptions | LxcDeps): OpHandler<'container.create'> {
  const deps = 'run' in options ? options : lxcDeps(options);
  return async (ctx) => {
    const params = ctx.params;
    if (params.runtime !== 'lxc') throw new CommandFailure('unsupported', 'this handler creates LXC containers only');
    const ref: LxcRef = { lxcPath: managedPath(deps, params.lxcPath), name: params.name };
    const entries = [...Object.entries(params.config), ...limitConfig(params, await deps.cgroupLayout())];
    // What the container prints on its console is kept, so `corral logs` has something to follow.
    if (!('lxc.console.logfile' in params.config)) {
      entries.push(['lxc.console.logfile', join(ref.lxcPath, ref.name, 'console.log')]);
    }
    try {
      setConfigKeys('', entries);
    } catch (error) {
      throw new CommandFailure('invalid_params', `params.config: ${(error as Error).message}`);
    }
    const taken = () =>
      new CommandFailure('conflict', `a container named ${ref.name} already exists in ${ref.lxcPath}`);
    if (await containerExists(deps, ctx, ref)) throw taken();

    const args = ['-P', ref.lxcPath, '-n', ref.name, '-t', params.template];
    if (params.templateArgs.length > 0) args.push('--', ...params.templateArgs);
    await lxc(deps, ctx, 'lxc-create', args, CREATE_TIMEOUT_MS, (error) =>
      /already exists/.test(error.stderr) ? taken() : null,
    );
    try {
      if (entries.length > 0) {
        const path = configPath(ref);
        await deps.files.replaceText(path, setConfigKeys(await deps.files.readText(path), entries));
      }
      const state = params.start ? await startContainer(deps, ctx, ref) : 'STOPPED';
      return { ...ref, state };
    } catch (error) {
      await lxc(deps, ctx, 'lxc-destroy', ['-P', ref.lxcPath, '-n', ref.name, '-f'], ROLLBACK_TIMEOUT_MS).catch(
        (rollback: unknown) =>
          ctx.logger.error('could not destroy a half-created LXC container', { ...ref, error: rollback }),
      );
      throw error;
    }
  };
}
