import { z } from 'zod';
import type { ContainerCreateParams } from './ops/params.js';

// What a create may do on a host beyond the safe default. The controller keeps these grants in its
// policies (global, and per host label selector) and the agent has its own (CORRAL_AGENT_POLICY):
// both check every create with checkCreate(), and a create runs only when both allow it.

const hostPath = z
  .string()
  .regex(/^\//, 'an absolute host path')
  .refine((p) => !p.split('/').includes('..'), 'no ".." segments')
  .refine((p) => !p.includes('\u0000'), 'no NUL characters');

export const LXC_TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const templateName = z.string().regex(LXC_TEMPLATE_NAME, 'a template name such as busybox (never a path)');
const keyPattern = z
  .string()
  .regex(
    /^lxc\.(?:[a-z0-9_]+|\*)(?:\.(?:[a-z0-9_]+|\*))*$/,
    'an lxc.* key; "*" stands for one part, a last ".*" for the rest',
  );

export const CreateGrantsSchema = z.strictObject({
  bindMounts: z
    .array(hostPath)
    .max(64)
    .default([])
    .describe(
      'host paths that Docker creates may bind-mount, with everything under them; "/" allows any (default: none)',
    ),
  hostNamespaces: z
    .boolean()
    .default(false)
    .describe('the host network namespace: Docker network "host", LXC lxc.net.N.type = none (default: refused)'),
  containerNetwork: z
    .boolean()
    .default(false)
    .describe('Docker network "container:<other>", joining another container\'s network namespace (default: refused)'),
  lxcTemplates: z
    .array(templateName)
    .max(256)
    .nullable()
    .default(null)
    .describe('LXC templates creates may use, by name; null: those installed on the host (reported by its agent)'),
  lxcTemplateArgs: z
    .boolean()
    .default(false)
    .describe('template arguments that name host paths or where lxc-create puts the container (default: refused)'),
  lxcConfigKeys: z
    .array(
      keyPattern.refine(
        (pattern) => !NEVER_LXC_KEYS.some((never) => keyMatches(never, pattern)),
        'this key is never allowed (hooks, mounts, rootfs, apparmor, capabilities, devices, id maps, includes, ...)',
      ),
    )
    .max(256)
    .default([])
    .describe(
      'LXC config keys allowed besides the defaults (limits, network link, autostart, ...); never hooks, mount ' +
        'entries, rootfs, apparmor, seccomp, capabilities, cgroup device rules, id maps, includes, namespaces, logs',
    ),
});
export type CreateGrants = z.output<typeof CreateGrantsSchema>;
export type CreateGrantsInput = z.input<typeof CreateGrantsSchema>;

// Config keys no policy can allow: each one runs code on the host, reaches host files or devices,
// or lifts the container's confinement.
export const NEVER_LXC_KEYS: readonly string[] = [
  'lxc.hook',
  'lxc.hook.*',
  'lxc.net.*.script.*',
  'lxc.mount',
  'lxc.mount.*',
  'lxc.rootfs',
  'lxc.rootfs.*',
  'lxc.apparmor.*',
  'lxc.selinux.*',
  'lxc.seccomp.*',
  'lxc.cap.*',
  'lxc.cgroup.devices.*',
  'lxc.cgroup2.devices.*',
  'lxc.idmap',
  'lxc.id_map',
  'lxc.include',
  'lxc.namespace.*',
  'lxc.log.*',
  'lxc.console.logfile',
  'lxc.console.path',
  'lxc.cgroup.dir',
  'lxc.cgroup.dir.*',
  'lxc.cgroup.relative',
  'lxc.monitor.*',
  // kernel.*, vm.*, fs.* sysctls are not namespaced (kernel.core_pattern runs a program as root).
  'lxc.sysctl.kernel.*',
  'lxc.sysctl.vm.*',
  'lxc.sysctl.fs.*',
  'lxc.sysctl.user.*',
];

// Config keys every create may set: resource limits, the network link and addresses, autostart and
// the like. Everything else needs a grant.
export const DEFAULT_LXC_KEYS: readonly string[] = [
  'lxc.cgroup.memory.*',
  'lxc.cgroup2.memory.*',
  'lxc.cgroup.cpu.*',
  'lxc.cgroup2.cpu.*',
  'lxc.cgroup.cpuset.*',
  'lxc.cgroup2.cpuset.*',
  'lxc.cgroup.pids.*',
  'lxc.cgroup2.pids.*',
  'lxc.cgroup.blkio.weight',
  'lxc.cgroup2.io.weight',
  'lxc.net.*.type',
  'lxc.net.*.link',
  'lxc.net.*.flags',
  'lxc.net.*.name',
  'lxc.net.*.hwaddr',
  'lxc.net.*.mtu',
  'lxc.net.*.ipv4.address',
  'lxc.net.*.ipv4.gateway',
  'lxc.net.*.ipv6.address',
  'lxc.net.*.ipv6.gateway',
  'lxc.start.auto',
  'lxc.start.delay',
  'lxc.start.order',
  'lxc.group',
  'lxc.uts.name',
  'lxc.environment',
  'lxc.signal.halt',
  'lxc.signal.reboot',
  'lxc.signal.stop',
  'lxc.tty.max',
  'lxc.pty.max',
  'lxc.prlimit.*',
  'lxc.init.cmd',
  'lxc.init.cwd',
  'lxc.init.uid',
  'lxc.init.gid',
  'lxc.ephemeral',
  'lxc.autodev',
];

// lxc.net.N.type values a create may set without a grant: "none" shares the host's network
// namespace, phys takes a host interface away, macvlan/ipvlan/vlan reach the host's links directly.
const SAFE_NET_TYPES = new Set(['veth', 'empty']);

// Options lxc-create passes to every template itself; a second one would override where it writes.
const TEMPLATE_OWN_OPTIONS = /^(?:--(?:path|rootfs|name|mapped-uid|mapped-gid|lxcpath)(?:=.*)?|-[pnP])$/;

const patternCache = new Map<string, RegExp>();

// "lxc.net.*.link" matches lxc.net.0.link; a last ".*" matches the rest (lxc.hook.* -> lxc.hook.pre-start).
export function keyMatches(pattern: string, key: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    const parts = pattern.split('.');
    const body = parts
      .map((part, i) => (part === '*' ? (i === parts.length - 1 ? '[^\\s]+' : '[a-z0-9_-]+') : escapeRegExp(part)))
      .join('\\.');
    re = new RegExp(`^${body}$`);
    patternCache.set(pattern, re);
  }
  return re.test(key);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface CreateRefusal {
  // The policy rule broken, e.g. docker.bindMounts; the API's 403 and the agent's error name it.
  rule: string;
  // The param at fault, e.g. mounts.0.source.
  field: string;
  message: string;
}

export interface CreateCheckContext {
  // LXC templates installed on the host (names); null when unknown.
  installedTemplates: readonly string[] | null;
  // Where the agent resolves a bind source (symlinks) before checking it; absent on the controller.
  resolveHostPath?: (path: string) => string;
}

const list = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : 'none');

// Null when the grants allow the create; otherwise the first rule it breaks.
export function checkCreate(
  params: ContainerCreateParams,
  grants: CreateGrants,
  context: CreateCheckContext,
): CreateRefusal | null {
  return params.runtime === 'docker' ? checkDocker(params, grants, context) : checkLxc(params, grants, context);
}

function checkDocker(
  params: Extract<ContainerCreateParams, { runtime: 'docker' }>,
  grants: CreateGrants,
  context: CreateCheckContext,
): CreateRefusal | null {
  for (const [index, mount] of params.mounts.entries()) {
    // The agent makes a bind mount of every absolute source; anything else names a volume.
    if (!mount.source.startsWith('/')) continue;
    const field = `mounts.${index}.source`;
    if (mount.source.split('/').includes('..')) {
      return { rule: 'docker.bindMounts', field, message: `bind source ${mount.source} may not contain ".."` };
    }
    const wanted = normalizePath(mount.source);
    const resolved = context.resolveHostPath ? context.resolveHostPath(wanted) : wanted;
    if (!grants.bindMounts.some((allowed) => within(resolved, allowed))) {
      const shown = resolved === wanted ? wanted : `${wanted} (${resolved} on the host)`;
      return {
        rule: 'docker.bindMounts',
        field,
        message: `host path ${shown} may not be bind-mounted (allowed: ${list(grants.bindMounts)})`,
      };
    }
  }
  const network = params.network?.trim().toLowerCase();
  if (network === 'host' && !grants.hostNamespaces) {
    return {
      rule: 'docker.hostNamespaces',
      field: 'network',
      message: 'network "host" shares the host network namespace, which this host\'s policy refuses',
    };
  }
  if (network?.startsWith('container:') && !grants.containerNetwork) {
    return {
      rule: 'docker.containerNetwork',
      field: 'network',
      message: `network "${params.network}" joins another container's network namespace, which this host's policy refuses`,
    };
  }
  return null;
}

function checkLxc(
  params: Extract<ContainerCreateParams, { runtime: 'lxc' }>,
  grants: CreateGrants,
  context: CreateCheckContext,
): CreateRefusal | null {
  const template = params.template;
  if (!LXC_TEMPLATE_NAME.test(template)) {
    return {
      rule: 'lxc.templatePath',
      field: 'template',
      message: `template "${template}" is not a template name: templates are named (busybox, download), never a path`,
    };
  }
  const allowed = grants.lxcTemplates ?? context.installedTemplates;
  if (allowed === null) {
    return {
      rule: 'lxc.templates',
      field: 'template',
      message: `template ${template}: the host has not reported its installed templates, and no policy lists any`,
    };
  }
  if (!allowed.includes(template)) {
    const source = grants.lxcTemplates ? 'allowed by policy' : 'installed on the host';
    return {
      rule: 'lxc.templates',
      field: 'template',
      message: `template ${template} is not among the templates ${source} (${list(allowed)})`,
    };
  }
  if (!grants.lxcTemplateArgs) {
    for (const [index, arg] of params.templateArgs.entries()) {
      if (TEMPLATE_OWN_OPTIONS.test(arg) || /(?:^|[=:])\/(?!\/)/.test(arg)) {
        return {
          rule: 'lxc.templateArgs',
          field: `templateArgs.${index}`,
          message: `template argument "${arg}" names a host path or where the container goes, which this host's policy refuses`,
        };
      }
    }
  }
  return checkLxcConfigKeys(Object.entries(params.config), grants, (key) => `config.${key}`);
}

// The config-key rules of an LXC create, over `key = value` entries (a key may repeat).
function checkLxcConfigKeys(
  entries: ReadonlyArray<readonly [string, string]>,
  grants: CreateGrants,
  fieldOf: (key: string) => string,
): CreateRefusal | null {
  for (const [key, value] of entries) {
    const field = fieldOf(key);
    if (NEVER_LXC_KEYS.some((p) => keyMatches(p, key))) {
      return {
        rule: 'lxc.configKeys',
        field,
        message:
          `${key} is never allowed: hooks, mount entries, rootfs, apparmor, seccomp, capabilities, cgroup device ` +
          'rules, id maps, includes, namespaces and log files reach the host',
      };
    }
    const granted = grants.lxcConfigKeys.some((p) => keyMatches(p, key));
    if (!granted && !DEFAULT_LXC_KEYS.some((p) => keyMatches(p, key))) {
      return {
        rule: 'lxc.configKeys',
        field,
        message: `${key} is not among the config keys this host's policy allows (defaults: limits, network link and addresses, autostart, ...)`,
      };
    }
    if (/^lxc\.net\.\d+\.type$/.test(key) && !granted) {
      const type = value.trim().toLowerCase();
      if (type === 'none' && !grants.hostNamespaces) {
        return {
          rule: 'lxc.hostNamespaces',
          field,
          message: `${key} = none shares the host network namespace, which this host's policy refuses`,
        };
      }
      if (type !== 'none' && !SAFE_NET_TYPES.has(type)) {
        return {
          rule: 'lxc.configKeys',
          field,
          message: `${key} = ${value} reaches the host's own links; only veth and empty are allowed without a grant of ${key.replace(/\.\d+\./, '.*.')}`,
        };
      }
    }
  }
  return null;
}

// "/srv//data/./x/" -> "/srv/data/x"; ".." is refused before this.
export function normalizePath(path: string): string {
  return `/${path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/')}`;
}

function within(path: string, allowed: string): boolean {
  const base = normalizePath(allowed);
  return base === '/' || path === base || path.startsWith(`${base}/`);
}

// The grants of several policies together: what any of them allows is allowed. Template lists
// replace the installed default only when some policy gives one.
export function mergeGrants(all: readonly CreateGrants[]): CreateGrants {
  const union = (pick: (g: CreateGrants) => readonly string[]) => [...new Set(all.flatMap(pick))];
  const templateLists = all.filter((g) => g.lxcTemplates !== null);
  return {
    bindMounts: union((g) => g.bindMounts),
    hostNamespaces: all.some((g) => g.hostNamespaces),
    containerNetwork: all.some((g) => g.containerNetwork),
    lxcTemplates: templateLists.length > 0 ? union((g) => g.lxcTemplates ?? []) : null,
    lxcTemplateArgs: all.some((g) => g.lxcTemplateArgs),
    lxcConfigKeys: union((g) => g.lxcConfigKeys),
  };
}

// The safe default: no bind mounts, no host namespaces, installed templates, default config keys.
export const NO_GRANTS: CreateGrants = CreateGrantsSchema.parse({});

// Keys a restore (copy, move) writes itself for the destination host, whatever the archive said.
export const RESTORE_OWNED_LXC_KEYS: readonly string[] = [
  'lxc.rootfs.path',
  'lxc.uts.name',
  'lxc.console.logfile',
  'lxc.net.*.link',
  'lxc.net.*.hwaddr',
];

// What the stock templates (busybox, download) write that confines rather than widens: dropped
// capabilities, the standard automatic mounts, the distribution's own common configs, read-only or
// pseudo-filesystem mount entries. A container made by a template on one host restores on another;
// anything beyond that is checked like a create's config keys.
function templateBaseline(key: string, value: string): boolean {
  const v = value.trim();
  if (key === 'lxc.cap.drop' || key === 'lxc.arch') return true;
  if (key === 'lxc.mount.auto') return /^(?:(?:proc|sys|cgroup)(?::(?:mixed|ro|rw))?\s*)+$/.test(v);
  if (key === 'lxc.include') return /^\/usr\/share\/lxc\/config\/[A-Za-z0-9_.-]+\.conf$/.test(v);
  if (key === 'lxc.mount.entry') {
    const [source, , , options = ''] = v.split(/\s+/);
    if (!source) return false;
    // A pseudo filesystem by name (shm, mqueue, proc, tmpfs), or a read-only bind of a host path.
    if (!source.startsWith('/')) return !source.includes('..') && !source.includes('/');
    return !source.split('/').includes('..') && options.split(',').includes('ro');
  }
  return false;
}

// The create policy's config-key rules over a container config restored from another host: the
// destination's policy refuses what it would refuse in a create, except the keys the restore
// rewrites, what templates write and the destination's own defaults. `field` of a refusal names the key as `config.<key>`.
// `hostDefaults` are the lines of the destination's own default config (/etc/lxc/default.conf), which
// its lxc-create writes into every container anyway (lxc.apparmor.profile = unconfined, say).
export function checkRestoredLxcConfig(
  entries: ReadonlyArray<readonly [string, string]>,
  grants: CreateGrants,
  hostDefaults: ReadonlyArray<readonly [string, string]> = [],
): CreateRefusal | null {
  const isDefault = (key: string, value: string) =>
    hostDefaults.some(([k, v]) => k === key && v.trim() === value.trim());
  const rest = entries.filter(
    ([key, value]) =>
      !RESTORE_OWNED_LXC_KEYS.some((p) => keyMatches(p, key)) &&
      !templateBaseline(key, value) &&
      !isDefault(key, value),
  );
  return checkLxcConfigKeys(rest, grants, (key) => `config.${key}`);
}
