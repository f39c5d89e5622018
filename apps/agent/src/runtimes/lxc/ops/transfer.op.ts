import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type CreateGrants, checkRestoredLxcConfig } from '@corral/protocol';
import { type CommandContext, CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { receiveTree, sendTree } from '../../archive-transfer.js';
import type { ImageImportOptions } from '../../docker/ops/image-import.op.js';
import { setConfigKeys } from './lxc-config.editor.js';
import {
  configPath,
  containerExists,
  containerRef,
  containerState,
  type LxcDeps,
  type LxcRef,
  lxc,
  managedPath,
  requireState,
} from './lxc-op.context.js';
import { startContainer } from './start.op.js';

const DESTROY_TIMEOUT_MS = 120_000;

export interface LxcTransferOptions {
  upload: ImageImportOptions;
  // The agent's own create grants, applied to a restored config (CORRAL_AGENT_POLICY).
  grants: CreateGrants;
  // LXC's default config on this host, whose lines every container made here carries anyway.
  defaultConfig?: string;
}

const DEFAULT_CONFIG = '/etc/lxc/default.conf';

// Pure: the `key = value` entries of an LXC config text, in order (keys may repeat).
export function configEntries(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

// Pure: a locally administered unicast MAC with LXC's usual 00:16:3e prefix.
export function freshMac(bytes: Buffer = randomBytes(3)): string {
  return ['00', '16', '3e', ...[...bytes.subarray(0, 3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

// Pure: the config of a container restored as `name` under `lxcPath` on this host: its rootfs path
// and name, its console log, every veth interface linked to `bridge` (when given) with a fresh MAC.
export function rewriteRestoredConfig(
  text: string,
  target: LxcRef,
  bridge: string | null,
  mac: () => string = freshMac,
): { text: string; hwaddrs: string[] } {
  const entries = configEntries(text);
  const rootfs = entries.find(([k]) => k === 'lxc.rootfs.path')?.[1] ?? '';
  const prefix = rootfs.startsWith('dir:') ? 'dir:' : '';
  const set: [string, string][] = [
    ['lxc.rootfs.path', `${prefix}${join(target.lxcPath, target.name, 'rootfs')}`],
    ['lxc.uts.name', target.name],
  ];
  if (entries.some(([k]) => k === 'lxc.console.logfile')) {
    set.push(['lxc.console.logfile', join(target.lxcPath, target.name, 'console.log')]);
  }
  const hwaddrs: string[] = [];
  const indexes = new Set<string>();
  for (const [key] of entries) {
    const m = /^lxc\.net\.(\d+)\./.exec(key);
    if (m) indexes.add(m[1]!);
  }
  for (const index of [...indexes].sort((a, b) => Number(a) - Number(b))) {
    const type = entries.find(([k]) => k === `lxc.net.${index}.type`)?.[1];
    if (type !== 'veth') continue;
    if (bridge) set.push([`lxc.net.${index}.link`, bridge]);
    const hw = mac();
    hwaddrs.push(hw);
    set.push([`lxc.net.${index}.hwaddr`, hw]);
  }
  return { text: setConfigKeys(text, set), hwaddrs };
}

// Pure: where a config's rootfs lives, when it is a plain directory ("dir:/x" or "/x").
export function rootfsDir(text: string): string | null {
  const value = configEntries(text).find(([k]) => k === 'lxc.rootfs.path')?.[1];
  if (!value) return null;
  const path = value.startsWith('dir:') ? value.slice(4) : value;
  return path.startsWith('/') ? path : null;
}

// container.archive: a tar of the stopped container's directory (config, rootfs, snapshots left
// out) streamed into the controller's transfer with backpressure; the source is not changed.
export const lxcArchive =
  (deps: LxcDeps, options: LxcTransferOptions): OpHandler<'container.archive'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    requireState(ref, await containerState(deps, ctx, ref), ['STOPPED'], 'stop it before it is copied');
    const config = await deps.files.readText(configPath(ref));
    if (rootfsDir(config) !== join(ref.lxcPath, ref.name, 'rootfs')) {
      throw new CommandFailure(
        'unsupported',
        `container ${ref.name} keeps its rootfs outside its directory (an overlay clone or another backing store); only directory rootfs can be copied`,
      );
    }
    const bytes = await sendTree(
      ctx,
      options.upload,
      ctx.params.transferId,
      ref.lxcPath,
      [ref.name],
      [`${ref.name}/snaps`],
    );
    ctx.logger.info('container archived', { ...ref, bytes });
    return { name: ref.name, bytes };
  };

// container.restore: the archive of another host's container unpacked into a staging directory in
// the lxcpath, its config checked against this agent's create policy and rewritten for this host,
// then moved into place and started. Any failure removes everything it made.
export const lxcRestore =
  (deps: LxcDeps, options: LxcTransferOptions): OpHandler<'container.restore'> =>
  async (ctx) => {
    const { name, sourceName, bridge, start, uploadId } = ctx.params;
    const ref: LxcRef = { lxcPath: managedPath(deps, ctx.params.lxcPath), name };
    const finalDir = join(ref.lxcPath, name);
    if ((await containerExists(deps, ctx, ref)) || existsSync(finalDir)) {
      throw new CommandFailure('conflict', `a container named ${name} already exists in ${ref.lxcPath}`);
    }
    const staging = join(ref.lxcPath, `.corral-restore-${ctx.id}`);
    let placed = false;
    try {
      await mkdir(staging, { mode: 0o700 }).catch((error: Error) => {
        throw new CommandFailure('engine_error', `cannot write into ${ref.lxcPath}: ${error.message}`);
      });
      const bytes = await receiveTree(ctx, options.upload, uploadId, staging);
      const dir = join(staging, sourceName);
      const text = await deps.files.readText(join(dir, 'config')).catch(() => {
        throw new CommandFailure('invalid_params', `the archive holds no ${sourceName}/config`);
      });
      // The controller's policy for this host (sent along, since only here is the config known), then this agent's.
      const entries = configEntries(text);
      const defaults = configEntries(
        await deps.files.readText(options.defaultConfig ?? DEFAULT_CONFIG).catch(() => ''),
      );
      const byController = ctx.params.policyGrants
        ? checkRestoredLxcConfig(entries, ctx.params.policyGrants, defaults)
        : null;
      if (byController) {
        throw new CommandFailure(
          'forbidden',
          `${byController.field}: the create policy of this host refuses the copied config (rule ${byController.rule}): ${byController.message}`,
        );
      }
      const refusal = checkRestoredLxcConfig(entries, options.grants, defaults);
      if (refusal) {
        throw new CommandFailure(
          'forbidden',
          `${refusal.field}: refused by this agent's policy (rule ${refusal.rule}): ${refusal.message}; the host's CORRAL_AGENT_POLICY decides`,
        );
      }
      const rewritten = rewriteRestoredConfig(text, ref, bridge);
      await deps.files.replaceText(join(dir, 'config'), rewritten.text);
      await rename(dir, finalDir).catch((error: Error) => {
        throw new CommandFailure('conflict', `cannot place ${name} in ${ref.lxcPath}: ${error.message}`);
      });
      placed = true;
      await rm(staging, { recursive: true, force: true });
      const state = start ? await startContainer(deps, ctx, ref) : 'STOPPED';
      ctx.logger.info('container restored', { ...ref, sourceName, bytes, state });
      return { ...ref, state, hwaddrs: rewritten.hwaddrs, bytes };
    } catch (error) {
      await cleanUp(deps, ctx, ref, staging, placed);
      throw error;
    }
  };

async function cleanUp(
  deps: LxcDeps,
  ctx: CommandContext,
  ref: LxcRef,
  staging: string,
  placed: boolean,
): Promise<void> {
  await rm(staging, { recursive: true, force: true }).catch((error: unknown) =>
    ctx.logger.error('could not remove a restore staging directory', { staging, error }),
  );
  if (!placed) return;
  await lxc(deps, ctx, 'lxc-destroy', ['-P', ref.lxcPath, '-n', ref.name, '-f'], DESTROY_TIMEOUT_MS).catch(
    async (error: unknown) => {
      ctx.logger.error('could not destroy a half-restored LXC container', { ...ref, error });
      await rm(join(ref.lxcPath, ref.name), { recursive: true, force: true });
    },
  );
}
