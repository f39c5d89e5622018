import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import {
  type CommandError,
  type CommandMessage,
  type CreateGrants,
  CreateGrantsSchema,
  checkCreate,
  LXC_TEMPLATE_NAME,
  NO_GRANTS,
  normalizePath,
  parseCommandParams,
} from '@corral/protocol';

// The agent's own create limits (CORRAL_AGENT_POLICY), checked again on this side whatever the
// controller allowed: a controller that is compromised or out of date cannot order root on this host.

export const DEFAULT_LXC_TEMPLATE_DIR = '/usr/share/lxc/templates';

export type PolicyLoad = { ok: true; grants: CreateGrants; source: string } | { ok: false; problem: string };

// CORRAL_AGENT_POLICY holds the grants as JSON, or the path of a file holding them; unset: the safe default.
export function loadAgentPolicy(
  raw: string | undefined,
  readFile = (p: string) => readFileSync(p, 'utf8'),
): PolicyLoad {
  const text = raw?.trim() ?? '';
  if (text === '') return { ok: true, grants: NO_GRANTS, source: 'default (no grants)' };
  let json = text;
  let source = 'CORRAL_AGENT_POLICY';
  const where = () => (source === 'CORRAL_AGENT_POLICY' ? source : `CORRAL_AGENT_POLICY (${source})`);
  if (!text.startsWith('{')) {
    try {
      json = readFile(text);
      source = text;
    } catch (err) {
      return { ok: false, problem: `CORRAL_AGENT_POLICY: cannot read ${text}: ${(err as Error).message}` };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    return { ok: false, problem: `${where()} is not JSON: ${(err as Error).message}` };
  }
  const parsed = CreateGrantsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.') || '(top level)';
    return { ok: false, problem: `${where()}: ${field}: ${issue.message}` };
  }
  return { ok: true, grants: parsed.data, source };
}

// LXC templates installed on this host, by name: <dir>/lxc-busybox -> busybox. A directory that cannot
// be read holds none: creates from a template are then refused, never run blind.
export function installedTemplates(dir: string, list = (d: string) => readdirSync(d)): string[] {
  try {
    return list(dir)
      .filter((f) => f.startsWith('lxc-') && LXC_TEMPLATE_NAME.test(f.slice(4)))
      .map((f) => f.slice(4))
      .sort();
  } catch {
    return [];
  }
}

// Where a bind source really points on this host; a path that does not exist is checked as written.
function resolveHostPath(path: string): string {
  try {
    return normalizePath(realpathSync(path));
  } catch {
    return path;
  }
}

export interface AgentPolicyOptions {
  grants: CreateGrants;
  lxcTemplateDir: string;
  templates?: (dir: string) => string[];
  resolve?: (path: string) => string;
}

// The executor's policy hook: a command error for a create the agent's grants refuse, else null.
export function agentPolicyCheck(options: AgentPolicyOptions): (message: CommandMessage) => CommandError | null {
  const templates = options.templates ?? installedTemplates;
  return (message) => {
    if (message.op !== 'container.create') return null;
    const parsed = parseCommandParams('container.create', message.params);
    if (!parsed.ok) return null;
    const refusal = checkCreate(parsed.params, options.grants, {
      installedTemplates: parsed.params.runtime === 'lxc' ? templates(options.lxcTemplateDir) : null,
      resolveHostPath: options.resolve ?? resolveHostPath,
    });
    if (!refusal) return null;
    return {
      code: 'forbidden',
      message: `params.${refusal.field}: refused by this agent's policy (rule ${refusal.rule}): ${refusal.message}; the host's CORRAL_AGENT_POLICY decides`,
      retryable: false,
    };
  };
}
