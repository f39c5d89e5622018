// Types for engines.mjs, for the TypeScript tests that use it.
export interface Engine {
  name: 'Docker' | 'LXC' | 'dnsmasq' | 'iproute2';
  ok: boolean;
  detail: string;
}

export const ENGINES_UP: string;
export function findProgram(name: string, env?: NodeJS.ProcessEnv, extraDirs?: string[]): string | null;
export function pingDocker(
  socketPath: string,
  timeoutMs?: number,
): Promise<{ ok: true; apiVersion: string | null } | { ok: false; reason: string; denied?: true }>;
export function probeEngines(env?: NodeJS.ProcessEnv, extraDirs?: string[]): Promise<Engine[]>;
export function engineLines(engines: Engine[]): string[];
