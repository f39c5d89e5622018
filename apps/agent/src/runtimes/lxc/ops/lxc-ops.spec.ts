import { type CommandOp, NO_GRANTS, parseCommandParams } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { type CommandContext, CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { silentLogger } from '../../../lib/logger.js';
import { CommandError, type RunOptions } from '../../../lib/run.js';
import type { AttachSpawner } from './attach.process.js';
import type { LxcFiles } from './lxc-op.context.js';
import { createLxcHandlers } from './lxc-ops.js';

const LXCPATH = '/srv/lxc';

interface Call {
  cmd: string;
  args: readonly string[];
  timeoutMs: number;
}

// A fake lxc-* host: containers by name with a state; each tool can be told to fail.
function fakeHost(states: Record<string, string>, failures: Record<string, CommandError> = {}) {
  const calls: Call[] = [];
  const files = new Map<string, string>();
  const runner = async (cmd: string, args: readonly string[], options: RunOptions) => {
    calls.push({ cmd, args, timeoutMs: options.timeoutMs });
    const failure = failures[cmd];
    if (failure) throw failure;
    const name = args[args.indexOf('-n') + 1]!;
    if (cmd === 'lxc-info') {
      const state = states[name];
      if (!state) throw new CommandError(cmd, args, 'exit', 1, `${name} doesn't exist\n`, 'exited with code 1');
      return { stdout: `${state}\n`, stderr: '' };
    }
    if (cmd === 'lxc-create') {
      states[name] = 'STOPPED';
      files.set(`${LXCPATH}/${name}/config`, 'lxc.net.0.link = lxcbr0\n');
    }
    if (cmd === 'lxc-attach') return { stdout: args.at(-2) === '-u' ? '33\n' : '44\n', stderr: '' };
    if (cmd === 'lxc-destroy') delete states[name];
    if (cmd === 'lxc-stop') states[name] = 'STOPPED';
    return { stdout: '', stderr: '' };
  };
  const fs: LxcFiles = {
    async readText(path) {
      const text = files.get(path);
      if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return text;
    },
    async writeText(path, text) {
      files.set(path, text);
    },
    async replaceText(path, text) {
      files.set(path, text);
    },
    withTempDir: (fn) => fn('/tmp/fake'),
  };
  const attached: string[][] = [];
  const attach: AttachSpawner = async (args) => {
    attached.push(args);
    return { exitCode: 0, stoppedBy: null };
  };
  const sut = createLxcHandlers(
    { lxcPaths: [LXCPATH], runner, files: fs, attach, cgroupLayout: 'v2' },
    { upload: { controllerUrl: 'ws://127.0.0.1:1/agent' }, grants: NO_GRANTS },
  );
  return { sut, calls, files, states, attached };
}

function ctx<Op extends CommandOp>(op: Op, params: unknown, name: string | null = 'c1', deadlineMs = 60_000) {
  const parsed = parseCommandParams(op, params);
  if (!parsed.ok) throw new Error(parsed.message);
  const context: CommandContext<Op> = {
    id: '00000000-0000-4000-8000-000000000000',
    op,
    target: name === null ? { kind: 'host' } : { kind: 'container', runtime: 'lxc', id: name, lxcPath: null },
    params: parsed.params,
    deadline: new Date(Date.now() + deadlineMs),
    signal: new AbortController().signal,
    output: () => {},
    logger: silentLogger,
  };
  return context;
}

const handler = <Op extends CommandOp>(handlers: ReturnType<typeof createLxcHandlers>, op: Op) =>
  handlers[op] as OpHandler<Op>;

describe('createLxcHandlers', () => {
  it('covers exactly the LXC ops', async () => {
    const { RUNTIME_OPS } = await import('@corral/protocol');
    // ... and container.restore, a host op (the receiving side of a copy or move).
    expect(Object.keys(fakeHost({}).sut).sort()).toEqual([...RUNTIME_OPS.lxc, 'container.restore'].sort());
  });

  it('hard-stops with -k when the stop timeout is 0, since lxc-stop -t 0 only signals', async () => {
    const { sut, calls } = fakeHost({ c1: 'RUNNING' });
    await handler(sut, 'container.stop')(ctx('container.stop', { timeoutSeconds: 0 }));
    expect(calls.find((c) => c.cmd === 'lxc-stop')?.args).toEqual(['-P', LXCPATH, '-n', 'c1', '-k']);
  });

  it('gives lxc-stop the shutdown timeout plus slack, but never more than the deadline allows', async () => {
    const { sut, calls } = fakeHost({ c1: 'RUNNING' });
    await handler(sut, 'container.stop')(ctx('container.stop', { timeoutSeconds: 20 }, 'c1', 15_000));
    const stop = calls.find((c) => c.cmd === 'lxc-stop')!;
    expect(stop.args).toEqual(['-P', LXCPATH, '-n', 'c1', '-t', '20']);
    expect(stop.timeoutMs).toBeLessThanOrEqual(15_000);
  });

  it('maps "doesn\'t exist" from lxc-info to not_found', async () => {
    const { sut } = fakeHost({});
    await expect(handler(sut, 'container.start')(ctx('container.start', {}))).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('refuses a docker target and an lxcpath it does not manage', async () => {
    const { sut } = fakeHost({ c1: 'RUNNING' });
    const docker = {
      ...ctx('container.start', {}),
      target: { kind: 'container', runtime: 'docker', id: 'x', lxcPath: null },
    } as const;
    await expect(handler(sut, 'container.start')(docker)).rejects.toMatchObject({ code: 'invalid_params' });
    const other = {
      ...ctx('container.start', {}),
      target: { ...docker.target, runtime: 'lxc', lxcPath: '/etc' },
    } as const;
    await expect(handler(sut, 'container.start')(other)).rejects.toMatchObject({ code: 'invalid_params' });
  });

  it('create refuses a config value with a line break before running lxc-create', async () => {
    const { sut, calls } = fakeHost({});
    const params = { runtime: 'lxc', name: 'c1', config: { 'lxc.net.0.link': 'br0\nlxc.include = /x' } };
    await expect(handler(sut, 'container.create')(ctx('container.create', params, null))).rejects.toMatchObject({
      code: 'invalid_params',
    });
    expect(calls.map((c) => c.cmd)).not.toContain('lxc-create');
  });

  it('create passes template arguments after --, edits the config, and leaves it stopped when asked', async () => {
    const { sut, calls, files } = fakeHost({});
    const params = {
      runtime: 'lxc',
      name: 'c1',
      template: 'download',
      templateArgs: ['-d', 'alpine'],
      config: { 'lxc.net.0.link': 'br1' },
      memoryBytes: 67108864,
      start: false,
    };
    expect(await handler(sut, 'container.create')(ctx('container.create', params, null))).toEqual({
      name: 'c1',
      lxcPath: LXCPATH,
      state: 'STOPPED',
    });
    const create = calls.find((c) => c.cmd === 'lxc-create')!;
    expect(create.args).toEqual(['-P', LXCPATH, '-n', 'c1', '-t', 'download', '--', '-d', 'alpine']);
    expect(files.get(`${LXCPATH}/c1/config`)).toBe(
      `lxc.net.0.link = br1\nlxc.cgroup2.memory.max = 67108864\nlxc.console.logfile = ${LXCPATH}/c1/console.log\n`,
    );
  });

  it('create destroys the container it made when starting it fails, and reports the start failure', async () => {
    const startError = new CommandError(
      'lxc-start',
      [],
      'exit',
      1,
      'lxc-start: c1: ../src/lxc/tools/lxc_start.c: main: 306 The container failed to start\n',
      'exited with code 1',
    );
    const { sut, calls, states } = fakeHost({}, { 'lxc-start': startError });
    const error = await handler(
      sut,
      'container.create',
    )(ctx('container.create', { runtime: 'lxc', name: 'c1' }, null)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailure);
    expect(error).toMatchObject({
      code: 'engine_error',
      message: expect.stringContaining('The container failed to start'),
    });
    expect(calls.find((c) => c.cmd === 'lxc-destroy')?.args).toEqual(['-P', LXCPATH, '-n', 'c1', '-f']);
    expect(states).toEqual({});
  });

  it('remove without force refuses a frozen container too', async () => {
    const { sut, calls } = fakeHost({ c1: 'FROZEN' });
    await expect(handler(sut, 'container.remove')(ctx('container.remove', {}))).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(calls.map((c) => c.cmd)).not.toContain('lxc-destroy');
  });

  it("exec resolves a user name with the container's own id, and refuses a group name", async () => {
    const { sut, calls, attached } = fakeHost({ c1: 'RUNNING' });
    const exec = handler(sut, 'container.exec');
    await expect(exec(ctx('container.exec', { command: ['true'], user: 'a:b' }))).rejects.toMatchObject({
      code: 'invalid_params',
    });
    expect(await exec(ctx('container.exec', { command: ['true'], user: 'www' }))).toMatchObject({ exitCode: 0 });
    expect(calls.filter((c) => c.cmd === 'lxc-attach').map((c) => c.args.slice(-3))).toEqual([
      ['id', '-u', 'www'],
      ['id', '-g', 'www'],
    ]);
    expect(attached).toEqual([['-P', LXCPATH, '-n', 'c1', '--clear-env', '-u', '33', '-g', '44', '--', 'true']]);
  });
});
