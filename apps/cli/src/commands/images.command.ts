import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command as ApiCommand, Image } from '@corral/client';
import type { Command } from 'commander';
import { Cli, collect, examples, knownOp } from '../lib/cli.js';
import { usage } from '../lib/errors.js';
import { bytes, type Column } from '../lib/output.js';
import { ByteProgress } from '../lib/progress.js';

const IMAGE_COLUMNS: Column<Image>[] = [
  { header: 'TAGS', value: (i) => i.tags },
  { header: 'HOST', value: (i) => i.hostname },
  { header: 'SIZE', value: (i) => bytes(i.sizeBytes) },
  { header: 'IMAGE ID', value: (i) => i.engineId.replace(/^sha256:/, '').slice(0, 12) },
  { header: 'ID', value: (i) => i.id },
];

const counting = (progress: ByteProgress) =>
  new Transform({
    transform(chunk: Buffer, _enc, done) {
      progress.add(chunk.length);
      done(null, chunk);
    },
  });

// Uploads a file for an op that takes one (image.import, image.load), with a progress bar.
async function upload(
  cli: Cli,
  op: string,
  host: string,
  file: string,
  params: Record<string, string>,
  detach?: boolean,
) {
  const name = knownOp(op);
  const size = (
    await stat(file).catch(() => {
      throw usage(`cannot read ${file}`);
    })
  ).size;
  const progress = new ByteProgress(`upload ${file}`, size, cli.out);
  const body = Readable.toWeb(createReadStream(file).pipe(counting(progress))) as ReadableStream<Uint8Array>;
  const client = await cli.client();
  try {
    const command = await client.upload(name, host, body, params, { contentType: 'application/x-tar' });
    progress.stop();
    if (detach) {
      cli.out.json ? cli.out.data(command) : cli.out.line(command.id);
      return null;
    }
    return cli.waitFor(command, `${op} on ${host}`, true);
  } finally {
    progress.stop();
  }
}

function printImage(cli: Cli, done: { result: unknown } | null) {
  if (!done) return;
  const r = (done.result ?? {}) as { imageId?: string; id?: string; tags?: string[] };
  if (cli.out.json) cli.out.data(done);
  else cli.out.line(r.imageId ?? r.id ?? '');
}

// `corral commit` and `corral images commit`: docker commit of a Docker container, through the API.
export function registerCommit(command: Command, example: string): void {
  command
    .description("make an image of a Docker container's file system and config (docker commit)")
    .argument('<container>')
    .argument('<reference>', 'repo:tag of the new image')
    .option('-m, --message <text>', 'commit message')
    .option(
      '-c, --change <instruction>',
      'Dockerfile instruction to apply, e.g. "CMD ["sh"]" (repeatable)',
      collect,
      [],
    )
    .option('--no-pause', 'do not pause the container while committing')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples(example, `${example} -m "before upgrade" -c 'ENV MODE=prod'`))
    .action(
      async (
        ref: string,
        reference: string,
        opts: { message?: string; change: string[]; pause: boolean; detach?: boolean },
        cmd: Command,
      ) => {
        const cli = Cli.of(cmd);
        const params = {
          reference,
          changes: opts.change,
          pause: opts.pause,
          ...(opts.message ? { message: opts.message } : {}),
        };
        printImage(cli, await cli.op('container.commit', ref, params, { detach: opts.detach, label: `commit ${ref}` }));
      },
    );
}

export function registerImages(program: Command): void {
  const images = program
    .command('images')
    .alias('image')
    .description('Docker images of the fleet: ls, pull, save, load, copy, import, commit, tag, rm, prune')
    .addHelpText(
      'after',
      examples(
        'corral images ls',
        'corral images pull --host h1 registry.local/app:1',
        'corral images copy app:1 --to h2',
      ),
    );

  images
    .command('ls')
    .alias('list')
    .description('list images')
    .option('--host <host>', 'one host')
    .option('--filter <name>', 'name (repo:tag) contains')
    .addHelpText('after', examples('corral images ls', 'corral images ls --host h1 -q'))
    .action(async (opts: { host?: string; filter?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const rows: Image[] = [];
      for await (const i of (await cli.client()).all<Image>('/images', { host: opts.host, name: opts.filter }))
        rows.push(i);
      cli.out.list(rows, IMAGE_COLUMNS, (i) => i.id);
    });

  images
    .command('pull')
    .description('pull an image from a registry onto a host (by tag or digest), with a progress bar')
    .argument('<args...>', 'HOST REFERENCE, or REFERENCE with --host')
    .option('--host <host>', 'host to pull on (or give it first)')
    .option('--platform <os/arch>', 'e.g. linux/amd64')
    .option('-d, --detach', 'do not wait')
    .addHelpText(
      'after',
      examples('corral image pull h1 10.0.0.5:5000/app:1', 'corral images pull --host h1 10.0.0.5:5000/app@sha256:...'),
    )
    .action(async (args: string[], opts: { host?: string; platform?: string; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const [host, reference] = args.length === 2 ? [args[0]!, args[1]!] : [opts.host, args[0]];
      if (args.length > 2 || !host || !reference || (args.length === 2 && opts.host)) {
        throw usage('give HOST REFERENCE, or REFERENCE --host HOST');
      }
      printImage(
        cli,
        await cli.op(
          'image.pull',
          host,
          { reference, ...(opts.platform ? { platform: opts.platform } : {}) },
          { detach: opts.detach, label: `pull ${reference}`, transfer: true },
        ),
      );
    });

  images
    .command('save')
    .description('download an image as a docker save archive')
    .argument('<image>', 'repo:tag, id or HOST/...')
    .requiredOption('-o, --output <file>', 'where to write the archive')
    .addHelpText('after', examples('corral images save app:1 -o app.tar'))
    .action(async (ref: string, opts: { output: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      const image = await client.image(ref);
      const { body, size } = await client.download(`/images/${encodeURIComponent(image.id)}/save`);
      const progress = new ByteProgress(`save ${ref}`, size, cli.out);
      try {
        await pipeline(Readable.fromWeb(body as never), counting(progress), createWriteStream(opts.output));
      } finally {
        progress.stop();
      }
      cli.out.note(`saved ${ref} to ${opts.output}`);
    });

  images
    .command('load')
    .description('upload a docker save archive to a host')
    .requiredOption('-i, --input <file>', 'the archive')
    .requiredOption('--host <host>', 'host to load it on')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral images load -i app.tar --host h2'))
    .action(async (opts: { input: string; host: string; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      printImage(cli, await upload(cli, 'image.load', opts.host, opts.input, {}, opts.detach));
    });

  images
    .command('copy')
    .description('copy an image from its host to other hosts, through the controller (tags, id and origin kept)')
    .argument('<image>', 'repo:tag, id or HOST/...')
    .requiredOption('--to <host>', 'destination host (repeatable)', collect, [])
    .option('-d, --detach', 'do not wait; print the load command ids')
    .addHelpText(
      'after',
      examples('corral images copy app:1 --to h2', 'corral images copy h1/app:1 --to h2 --to h3 -d'),
    )
    .action(async (ref: string, opts: { to: string[]; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      const answer = await client.call<{ copies: { hostname: string; command: ApiCommand }[] }>(
        'POST',
        `/api/v1/images/${encodeURIComponent(ref)}/copy`,
        { toHosts: opts.to },
      );
      for (const copy of answer.copies) {
        if (opts.detach) {
          cli.out.json ? cli.out.data(copy.command) : cli.out.line(copy.command.id);
          continue;
        }
        printImage(cli, await cli.waitFor(copy.command, `copy ${ref} to ${copy.hostname}`, true));
      }
    });

  images
    .command('import')
    .description('upload a root file system tarball as an image (docker import)')
    .argument('<file>', 'tar or tar.gz of a root file system')
    .requiredOption('--host <host>', 'host to import on')
    .requiredOption('--reference <repo:tag>', 'name of the new image')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral images import rootfs.tar --host h1 --reference mybox:1'))
    .action(async (file: string, opts: { host: string; reference: string; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      printImage(cli, await upload(cli, 'image.import', opts.host, file, { reference: opts.reference }, opts.detach));
    });

  registerCommit(images.command('commit'), 'corral images commit web web-snapshot:1');

  images
    .command('tag')
    .description('give an image another repo:tag')
    .argument('<image>')
    .argument('<reference>')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral images tag busybox:local mybox:2'))
    .action(async (ref: string, reference: string, opts: { detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      printImage(cli, await cli.op('image.tag', ref, { reference }, { detach: opts.detach, label: `tag ${ref}` }));
    });

  images
    .command('rm')
    .alias('remove')
    .description('remove images')
    .argument('<images...>')
    .option('-f, --force', 'even while in use')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral images rm mybox:2', 'corral images rm -f h1/old:1'))
    .action(async (refs: string[], opts: { force?: boolean; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      for (const ref of refs) {
        const done = await cli.op(
          'image.remove',
          ref,
          { force: Boolean(opts.force) },
          { detach: opts.detach, label: `remove ${ref}` },
        );
        if (done) cli.out.json ? cli.out.data(done) : cli.out.line(ref);
      }
    });

  images
    .command('prune')
    .description('remove unused images Corral made on a host')
    .requiredOption('--host <host>')
    .option('-d, --detach', 'do not wait')
    .addHelpText('after', examples('corral images prune --host h1'))
    .action(async (opts: { host: string; detach?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op(
        'image.prune',
        opts.host,
        {},
        { detach: opts.detach, label: `prune images on ${opts.host}` },
      );
      if (!done) return;
      if (cli.out.json) return cli.out.data(done);
      const r = (done.result ?? {}) as { removed?: string[]; spaceReclaimed?: number };
      for (const id of r.removed ?? []) cli.out.line(id);
      cli.out.note(`reclaimed ${bytes(r.spaceReclaimed ?? 0)}`);
    });
}
