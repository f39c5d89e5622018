import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import { usage } from '../lib/errors.js';
import { text } from '../lib/output.js';

interface Verb {
  name: string;
  op: string;
  description: string;
  example: string;
  options?: (c: Command) => Command;
  params?: (opts: Record<string, unknown>) => Record<string, unknown>;
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw usage(`${name} must be a whole number of seconds, got "${v}"`);
  return n;
};

const VERBS: Verb[] = [
  { name: 'start', op: 'container.start', description: 'start containers', example: 'corral start web db' },
  {
    name: 'stop',
    op: 'container.stop',
    description: 'stop containers (SIGTERM, then SIGKILL after the timeout)',
    example: 'corral stop -t 5 web',
    options: (c) =>
      c.option('-t, --time <seconds>', 'seconds before SIGKILL', int('--time')).option('--kill', 'LXC: kill at once'),
    params: (o) => ({ ...(o.time !== undefined ? { timeoutSeconds: o.time } : {}), ...(o.kill ? { kill: true } : {}) }),
  },
  {
    name: 'restart',
    op: 'container.restart',
    description: 'restart containers',
    example: 'corral restart web',
    options: (c) => c.option('-t, --time <seconds>', 'seconds before SIGKILL', int('--time')),
    params: (o) => (o.time !== undefined ? { timeoutSeconds: o.time } : {}),
  },
  {
    name: 'kill',
    op: 'container.kill',
    description: 'send a signal to Docker containers (LXC: stop --kill)',
    example: 'corral kill -s HUP web',
    options: (c) => c.option('-s, --signal <signal>', 'signal name or number', 'KILL'),
    params: (o) => ({
      signal: String(o.signal)
        .replace(/^SIG/i, '')
        .toUpperCase()
        .replace(/^(\d+)$/, '$1'),
    }),
  },
  {
    name: 'pause',
    op: 'container.pause',
    description: 'pause Docker containers (LXC: freeze)',
    example: 'corral pause web',
  },
  { name: 'unpause', op: 'container.unpause', description: 'unpause Docker containers', example: 'corral unpause web' },
  {
    name: 'freeze',
    op: 'container.freeze',
    description: 'freeze LXC containers (Docker: pause)',
    example: 'corral freeze c1',
  },
  { name: 'unfreeze', op: 'container.unfreeze', description: 'unfreeze LXC containers', example: 'corral unfreeze c1' },
  {
    name: 'rm',
    op: 'container.remove',
    description: 'remove containers',
    example: 'corral rm -f web',
    options: (c) =>
      c.option('-f, --force', 'remove even while running').option('-v, --volumes', 'Docker: its anonymous volumes too'),
    params: (o) => ({ force: Boolean(o.force), volumes: Boolean(o.volumes) }),
  },
];

export function registerLifecycle(program: Command): void {
  for (const verb of VERBS) {
    let c = program
      .command(verb.name)
      .description(verb.description)
      .argument('<containers...>', 'names, ids, HOST/NAME')
      .option('-d, --detach', 'do not wait; print the command ids (corral commands wait ID)');
    c = verb.options?.(c) ?? c;
    c.addHelpText('after', examples(verb.example, `corral ${verb.name} -d web-1/app`)).action(
      async (refs: string[], opts: Record<string, unknown>, cmd: Command) => {
        const cli = Cli.of(cmd);
        const params = verb.params?.(opts) ?? {};
        for (const ref of refs) {
          const done = await cli.op(verb.op, ref, params, {
            detach: Boolean(opts.detach),
            label: `${verb.name} ${ref}`,
          });
          if (!done) continue;
          if (cli.out.json) cli.out.data(done);
          else cli.out.line(ref);
        }
      },
    );
  }

  program
    .command('rename')
    .description('rename a Docker container')
    .argument('<container>')
    .argument('<new-name>')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral rename web web-old'))
    .action(async (ref: string, name: string, opts: { detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op('container.rename', ref, { name }, { detach: opts.detach, label: `rename ${ref}` });
      if (done) cli.out.json ? cli.out.data(done) : cli.out.line(name);
    });

  program
    .command('clone')
    .description('copy an LXC container under a new name')
    .argument('<container>')
    .argument('<new-name>')
    .option('--snapshot', 'copy-on-write clone instead of a full copy')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral clone c1 c1-copy', 'corral clone h1/c1 c2 --snapshot'))
    .action(async (ref: string, newName: string, opts: { snapshot?: boolean; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op(
        'container.clone',
        ref,
        { newName, snapshot: Boolean(opts.snapshot) },
        { detach: opts.detach, label: `clone ${ref}` },
      );
      if (done) cli.out.json ? cli.out.data(done) : cli.out.line(newName);
    });

  const snapshot = program
    .command('snapshot')
    .description('LXC snapshots: create (the default), ls, restore, rm')
    .addHelpText(
      'after',
      examples(
        'corral snapshot create c1 --comment "before upgrade"',
        'corral snapshot ls c1',
        'corral snapshot restore c1 snap0',
        'corral snapshot rm c1 snap0',
      ),
    );
  snapshot
    .command('create', { isDefault: true })
    .description('snapshot an LXC container')
    .argument('<container>')
    .option('--comment <text>')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral snapshot create c1'))
    .action(async (ref: string, opts: { comment?: string; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op('container.snapshot.create', ref, opts.comment ? { comment: opts.comment } : {}, {
        detach: opts.detach,
        label: `snapshot ${ref}`,
      });
      if (done)
        cli.out.json
          ? cli.out.data(done.result)
          : cli.out.line(text((done.result as { snapshot?: string } | null)?.snapshot ?? ref));
    });
  snapshot
    .command('ls')
    .alias('list')
    .description("list an LXC container's snapshots")
    .argument('<container>')
    .addHelpText('after', examples('corral snapshot ls c1'))
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op('container.snapshot.list', ref, {}, { label: `snapshots of ${ref}` });
      const items = (done?.result as { snapshots?: Record<string, unknown>[] } | null)?.snapshots ?? [];
      cli.out.list(
        items,
        [
          { header: 'NAME', value: (s) => s.name as string },
          { header: 'CREATED', value: (s) => s.createdAt as string },
          { header: 'COMMENT', value: (s) => s.comment as string },
        ],
        (s) => s.name as string,
      );
    });
  snapshot
    .command('restore')
    .description('restore an LXC container from a snapshot (or into a new container)')
    .argument('<container>')
    .argument('<snapshot>')
    .option('--new-name <name>', 'restore into a new container of this name')
    .option('-d, --detach', 'do not wait')
    .addHelpText(
      'after',
      examples('corral snapshot restore c1 snap0', 'corral snapshot restore c1 snap0 --new-name c1-old'),
    )
    .action(async (ref: string, snap: string, opts: { newName?: string; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op(
        'container.snapshot.restore',
        ref,
        { snapshot: snap, ...(opts.newName ? { newName: opts.newName } : {}) },
        { detach: opts.detach, label: `restore ${ref}` },
      );
      if (done) cli.out.json ? cli.out.data(done) : cli.out.line(opts.newName ?? ref);
    });
  snapshot
    .command('rm')
    .alias('remove')
    .description('delete a snapshot')
    .argument('<container>')
    .argument('<snapshot>')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral snapshot rm c1 snap0'))
    .action(async (ref: string, snap: string, opts: { detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op(
        'container.snapshot.delete',
        ref,
        { snapshot: snap },
        { detach: opts.detach, label: `delete ${snap}` },
      );
      if (done) cli.out.json ? cli.out.data(done) : cli.out.line(snap);
    });
}
