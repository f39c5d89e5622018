import type { Command as ApiCommand, Container, Placement } from '@corral/client';
import { CorralApiError } from '@corral/client';
import type { Command } from 'commander';
import { Cli, collect, examples, keyValues } from '../lib/cli.js';
import { CliError, describeError, EXIT, usage } from '../lib/errors.js';
import { parseBytes } from '../lib/output.js';
import { exitOf, writeOut } from '../lib/terminal.js';

interface RunOptions {
  runtime: string;
  detach?: boolean;
  name?: string;
  env: string[];
  publish: string[];
  volume: string[];
  memory?: string;
  cpus?: string;
  label: string[];
  restart?: string;
  network?: string;
  template?: string;
  host?: string;
  constraint: string[];
  group?: string;
  replicas?: string;
  spread?: boolean;
  binpack?: boolean;
  dryRun?: boolean;
  forceVolumes?: boolean;
}

// "8080:80", "127.0.0.1:8080:80/udp", "80" -> a port of the create params.
export function parsePort(value: string) {
  const m = /^(?:(?:([\d.]+|\[[0-9a-f:]+\]):)?(\d*):)?(\d+)(?:\/(tcp|udp))?$/i.exec(value);
  if (!m) throw usage(`-p "${value}" is not [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/tcp|udp]`);
  return {
    containerPort: Number(m[3]),
    ...(m[2] ? { hostPort: Number(m[2]) } : {}),
    protocol: (m[4]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp',
    ...(m[1] ? { hostIp: m[1].replace(/^\[|\]$/g, '') } : {}),
  };
}

// "data:/data", "/srv:/srv:ro" -> a mount.
export function parseVolume(value: string) {
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[1]!.startsWith('/') || (parts[2] && !/^(ro|rw)$/.test(parts[2]))) {
    throw usage(`-v "${value}" is not SOURCE:/TARGET[:ro]`);
  }
  return { source: parts[0]!, target: parts[1]!, readOnly: parts[2] === 'ro' };
}

// "zone=eu", "zone!=us", "disk in ssd,nvme", "gpu exists" -> a placement constraint.
export function parseConstraint(value: string) {
  let m = /^([^\s=!]+)\s*(!=|=)\s*(.*)$/.exec(value);
  if (m) return { label: m[1]!, op: m[2] as '=' | '!=', value: m[3]! };
  m = /^(\S+)\s+(not in|in)\s+(.+)$/.exec(value);
  if (m) return { label: m[1]!, op: m[2] as 'in' | 'not in', values: m[3]!.split(',').map((s) => s.trim()) };
  m = /^(\S+)\s+exists$/.exec(value);
  if (m) return { label: m[1]!, op: 'exists' as const };
  throw usage(`--constraint "${value}" is not KEY=VALUE, KEY!=VALUE, "KEY in A,B", "KEY not in A,B" or "KEY exists"`);
}

export function specOf(image: string | undefined, command: string[], opts: RunOptions): Record<string, unknown> {
  const memoryBytes = opts.memory === undefined ? undefined : parseBytes(opts.memory);
  if (memoryBytes === null) throw usage(`--memory "${opts.memory}" is not a size (512m, 1g)`);
  const cpus = opts.cpus === undefined ? undefined : Number(opts.cpus);
  if (cpus !== undefined && !(cpus > 0)) throw usage(`--cpus "${opts.cpus}" is not a positive number`);
  const limits = { ...(memoryBytes !== undefined ? { memoryBytes } : {}), ...(cpus !== undefined ? { cpus } : {}) };
  if (opts.runtime === 'lxc') {
    if (!opts.name) throw usage('LXC containers need a name: --name NAME');
    if (image) throw usage('LXC containers are made from a template, not an image: use --template (default busybox)');
    return { name: opts.name, template: opts.template ?? 'busybox', ...limits, start: true };
  }
  if (opts.runtime !== 'docker') throw usage(`--runtime must be docker or lxc, got "${opts.runtime}"`);
  if (!image) throw usage('give the image to run: corral run [OPTIONS] IMAGE [COMMAND...]');
  if (opts.restart && !['no', 'always', 'unless-stopped', 'on-failure'].includes(opts.restart)) {
    throw usage(`--restart must be no, always, unless-stopped or on-failure`);
  }
  return {
    image,
    ...(opts.name ? { name: opts.name } : {}),
    ...(command.length > 0 ? { command } : {}),
    env: keyValues(opts.env, '--env'),
    labels: keyValues(opts.label, '--label'),
    ports: opts.publish.map(parsePort),
    mounts: opts.volume.map(parseVolume),
    ...(opts.network ? { network: opts.network } : {}),
    ...(opts.restart ? { restartPolicy: opts.restart } : {}),
    ...limits,
    ...(opts.forceVolumes ? { force: true } : {}),
    start: true,
  };
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('create and start a container, on a host you name or where Corral places it')
    .argument('[image]', 'Docker image (not for --runtime lxc)')
    .argument('[command...]', 'command and arguments')
    .option('--runtime <runtime>', 'docker or lxc', 'docker')
    .option('-d, --detach', 'print the container id instead of following its output')
    .option('--name <name>', 'container name (replicas get -1, -2, ...)')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('-p, --publish <[ip:]host:container[/proto]>', 'publish a port (repeatable)', collect, [])
    .option('-v, --volume <source:/target[:ro]>', 'mount a volume or host path (repeatable)', collect, [])
    .option('--memory <size>', 'memory limit (512m, 1g); placement counts it')
    .option('--cpus <n>', 'CPU limit in cores (0.5)')
    .option('--label <KEY=VALUE>', 'container label (repeatable)', collect, [])
    .option('--restart <policy>', 'no, always, unless-stopped, on-failure')
    .option('--network <network>', 'Docker network to join')
    .option(
      '--force-volumes',
      'mount volumes another image family used last (the volume guard refuses otherwise; audited)',
    )
    .option('--template <template>', 'LXC template (default busybox)')
    .option('--host <host>', 'run on this host (hostname or id); several: --host a,b to let Corral choose among them')
    .option(
      '--constraint <expr>',
      'host label condition: zone=eu, zone!=us, "disk in ssd,nvme", "gpu exists" (repeatable)',
      collect,
      [],
    )
    .option('--group <group>', 'placement group: no two of its containers on one host')
    .option('--replicas <n>', 'how many copies to place', '1')
    .option('--spread', 'prefer the host with the most free memory (default)')
    .option('--binpack', 'prefer the fullest host that still fits')
    .option('--dry-run', 'only show where Corral would place it, and why')
    .passThroughOptions()
    .addHelpText(
      'after',
      `${examples(
        'corral run -d --name web -p 8080:80 -e MODE=prod nginx:1.27',
        'corral run --host h1 busybox echo hello',
        'corral run -d --replicas 3 --group web --memory 256m --constraint zone=eu busybox sleep 3600',
        'corral run --dry-run --binpack --memory 1g busybox',
        'corral run --runtime lxc --template busybox --name c1 --host h1',
      )}
Without -d, corral follows the container's output and exits with its exit code (Docker).\n`,
    )
    .action(async (image: string | undefined, command: string[], opts: RunOptions, cmd: Command) => {
      const cli = Cli.of(cmd);
      const spec = specOf(image, command, opts);
      const replicas = Number(opts.replicas ?? '1');
      if (!Number.isInteger(replicas) || replicas < 1) throw usage(`--replicas must be a positive whole number`);
      if (opts.spread && opts.binpack) throw usage('--spread and --binpack exclude each other');
      const hosts = opts.host?.split(',').filter(Boolean) ?? [];
      const placed =
        hosts.length !== 1 ||
        opts.constraint.length > 0 ||
        opts.group ||
        replicas > 1 ||
        opts.binpack ||
        opts.spread ||
        opts.dryRun;
      const client = await cli.client();
      try {
        let ids: string[];
        if (!placed) {
          const done = (await cli.op(
            'container.create',
            hosts[0]!,
            { runtime: opts.runtime, ...spec },
            { label: `create on ${hosts[0]}` },
          ))!;
          ids = [String((done.result as { containerId?: string }).containerId)];
        } else {
          const request = {
            runtime: opts.runtime,
            spec,
            resources: {
              ...(spec.memoryBytes !== undefined ? { memoryBytes: spec.memoryBytes } : {}),
              ...(spec.cpus !== undefined ? { cpus: spec.cpus } : {}),
            },
            constraints: opts.constraint.map(parseConstraint),
            ...(hosts.length > 0 ? { hosts } : {}),
            ...(opts.group ? { group: opts.group } : {}),
            strategy: opts.binpack ? 'binpack' : 'spread',
            replicas,
          };
          const path = `/api/v1/containers?${opts.dryRun ? 'dryRun=true' : 'wait=60'}`;
          let answer: { placement: Placement };
          try {
            answer = await client.call<{ placement: Placement }>('POST', path, request);
          } catch (error) {
            if (
              error instanceof CorralApiError &&
              error.status === 409 &&
              (error.body as { reasons?: unknown }).reasons
            ) {
              const body = error.body as { message: string; reasons: string[]; placement?: Placement };
              // A dry run where nothing would fit: the explanation, and the request's own failure (1).
              if (opts.dryRun && body.placement) {
                explain(cli, body.placement);
                throw new CliError('no replica would fit anywhere', EXIT.failure, 'see why above');
              }
              if (cli.out.json) cli.out.data(body);
              else for (const r of body.reasons) cli.out.note(`  ${r}`);
              throw new CliError(body.message, EXIT.corral, 'see why above; relax the constraints or free a host');
            }
            throw error;
          }
          if (opts.dryRun) {
            explain(cli, answer.placement);
            const counts = (answer.placement.explanation as { replicas?: { requested: number; placed: number } })
              .replicas;
            if (counts && counts.placed < counts.requested) {
              throw new CliError(
                `${counts.requested - counts.placed} of ${counts.requested} replica(s) would fit nowhere`,
                EXIT.failure,
                'see why above',
              );
            }
            return;
          }
          const commands = (answer.placement.commands ?? []) as ApiCommand[];
          ids = [];
          for (const c of commands) {
            const done = await cli.waitFor(c, `create ${String((c.params as { name?: string }).name ?? '')}`.trim());
            ids.push(String((done.result as { containerId?: string }).containerId));
          }
        }
        if (opts.detach || opts.runtime === 'lxc' || ids.length > 1) {
          if (cli.out.json) cli.out.data(ids);
          else for (const id of ids) cli.out.line(id);
          return;
        }
        // Attached: the container's output until it stops, then its exit code.
        const conn = await client.logsStream(ids[0]!, { follow: true, tail: null }, { onOutput: writeOut });
        process.once('SIGINT', () => {
          conn.close();
          process.exit(EXIT.interrupted);
        });
        exitOf(await conn.done);
        process.exitCode = await exitCodeOf(client, ids[0]!);
      } catch (error) {
        throw describeError(error, cli.target?.url ?? null, true);
      }
    });
}

// The exit code the engine reported, once the inventory shows the container stopped.
async function exitCodeOf(client: Awaited<ReturnType<Cli['client']>>, id: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const c = await client.container(id);
    const m = /^exited \((\d+)\)/.exec(c.status ?? '');
    if (m) return Number(m[1]);
    if (c.state !== 'running' && c.state !== 'restarting' && c.state !== 'created')
      return c.state === 'exited' ? 0 : EXIT.corral;
    await new Promise((r) => setTimeout(r, 100));
  }
  return EXIT.corral;
}

function explain(cli: Cli, placement: Placement): void {
  if (cli.out.json) {
    cli.out.data(placement);
    return;
  }
  const e = placement.explanation as unknown as {
    summary?: string;
    replicas?: {
      replica: number;
      chosenHost?: { hostname: string } | null;
      hostname?: string;
      score?: number;
      feasibleHosts?: number;
      rejectedExamples?: Record<string, string[]>;
    }[];
    hosts?: { hostname: string; verdict: string; reason?: string | null; score?: number | null }[];
    reasons?: string[];
  };
  cli.out.line(e.summary ?? placement.outcome);
  if (e.hosts && e.hosts.length > 0) {
    cli.out.table(e.hosts, [
      { header: 'HOST', value: (h) => h.hostname },
      { header: 'VERDICT', value: (h) => h.verdict, color: (t) => (t === 'fits' ? 'green' : 'red') },
      { header: 'SCORE', value: (h) => (h.score === null || h.score === undefined ? '-' : h.score.toFixed(3)) },
      { header: 'REASON', value: (h) => h.reason ?? '' },
    ]);
  }
  for (const r of e.reasons ?? []) cli.out.line(`  ${r}`);
}

export type { Container };
