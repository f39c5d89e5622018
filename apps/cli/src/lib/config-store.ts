import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT, usage } from './errors.js';

export interface ContextEntry {
  url: string;
  token: string;
}

export interface CliConfig {
  current: string | null;
  contexts: Record<string, ContextEntry>;
}

// ~/.config/corral/config.json (or $XDG_CONFIG_HOME/corral, or CORRAL_CONFIG), mode 0600: it holds tokens.
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CORRAL_CONFIG) return path.resolve(env.CORRAL_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'corral', 'config.json');
}

export async function loadConfig(file = configPath()): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { current: null, contexts: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CliConfig>;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.contexts !== 'object')
      throw new Error('no contexts');
    return { current: parsed.current ?? null, contexts: parsed.contexts ?? {} };
  } catch (error) {
    throw new CliError(
      `${file} is not a Corral config (${(error as Error).message})`,
      EXIT.usage,
      `fix or remove it, then run: corral login URL --token TOKEN`,
    );
  }
}

// Written to a temporary file and renamed, never readable by others.
export async function saveConfig(config: CliConfig, file = configPath()): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

export interface Target {
  url: string;
  token: string;
  context: string | null;
}

// Which controller and token to use: flags, then CORRAL_URL / CORRAL_TOKEN, then the context.
export function resolveTarget(
  config: CliConfig,
  flags: { context?: string; url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): Target {
  const name = flags.context ?? env.CORRAL_CONTEXT ?? config.current;
  const entry = name ? config.contexts[name] : undefined;
  if (flags.context && !entry) {
    throw usage(`no context named "${flags.context}"`, `see them with: corral context ls`);
  }
  const url = flags.url ?? env.CORRAL_URL ?? entry?.url;
  const token = flags.token ?? env.CORRAL_TOKEN ?? entry?.token;
  if (!url || !token) {
    throw usage(
      url ? 'no API token configured' : 'no controller configured',
      'run: corral login URL --token TOKEN, or set CORRAL_URL and CORRAL_TOKEN',
    );
  }
  return { url: url.replace(/\/+$/, ''), token, context: entry ? (name ?? null) : null };
}
