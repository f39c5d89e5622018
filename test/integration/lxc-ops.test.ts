import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandOp, type CommandTarget, ExecResultSchema, parseCommandParams } from '@corral/protocol';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandContext, CommandFailure, type OpHandler } from '../../apps/agent/src/executor/handler.js';
import { silentLogger } from '../../apps/agent/src/lib/logger.js';
import { detectCgroupLayout } from '../../apps/agent/src/runtimes/lxc/ops/cgroup-limits.js';
import { createLxcHandlers, lxcCreate } from '../../apps/agent/src/runtimes/lxc/ops/lxc-ops.js';
import { detectEngines, sh } from '../support/engines.js';

// Throws under CI when LXC is missing, so the file fails instead of skipping.
const engines = await detectEngines();
const suffix = randomBytes(4).toString('hex');

describe.skipIf(!engines.lxc)('LXC op handlers against real LXC', () => {
  const a = `corral-test-ops-${suffix}-a`;
  const b = `corral-test-ops-${suffix}-b`;
  const full = `corral-test-ops-${suffix}-full`;
  const overlay = `corral-test-ops-${suffix}-overlay`;
  const restored = `corral-test-ops-${suffix}-restored`;
  // Every name a test may create, in creation order; afterAll removes them newest first (clones before sources).
  const made: string[] = [];
  let lxcPath = '';
  let handlers: ReturnType<typeof createLxcHandlers>;

  const target = (name: string): CommandTarget => ({ kind: 'container', runtime: 'lxc', id: name, lxcPath });
  const lxcState = async (name: string) => sh('lxc-info', ['-P', lxcPath, '-n', name, '-s', '-H']);
  const lxcNames = async () => (await sh('lxc-ls', ['-P', lxcPath, '-1'])).split('\n').filter(Boolean);
  const lxcPid = async (name: string) => Number(await sh('lxc-info', ['-P', lxcPath, '-n', name, '-p', '-H']));

  function context<Op extends CommandOp>(op: Op, name: string | null, params: unknown = {}) {
    const parsed = parseCommandParams(op, params);
    if (!parsed.ok) throw new Error(parsed.message);
    const abort = new AbortController();
    const output = { stdout: '', stderr: '' };
    const ctx: CommandContext<Op> = {
      id: randomUUID(),
      op,
      target: name === null ? { kind: 'host' } : target(name),
      params: parsed.params,
      deadline: new Date(Date.now() + 120_000),
      signal: abort.signal,
      output: (stream, chunk) => {
        output[stream] += chunk;
      },
      logger: silentLogger,
    };
    return { ctx, abort, output };
  }

  async function run<Op extends CommandOp>(op: Op, name: string | null, params: unknown = {}) {
    const handler = handlers[op] as OpHandler<Op> | undefined;
    if (!handler) throw new Error(`no handler for ${op}`);
    return handler(context(op, name, params).ctx);
  }

  async function failure(promise: Promise<unknown>): Promise<CommandFailure> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommandFailure);
    return error as CommandFailure;
  }

  beforeAll(async () => {
    lxcPath = await mkdtemp(join(tmpdir(), 'corral-test-lxcops-'));
    handlers = createLxcHandlers({ lxcPaths: [lxcPath] });
  });

  afterAll(async () => {
    if (!lxcPath) return;
    const present = new Set(await lxcNames());
    for (const name of [...made].reverse()) {
      if (!present.has(name)) continue;
      await execa('lxc-stop', ['-P', lxcPath, '-n', name, '-k'], { timeout: 30_000, reject: false });
      await sh('lxc-destroy', ['-P', lxcPath, '-n', name, '-f', '-s'], 60_000);
    }
    await rm(lxcPath, { recursive: true, force: true });
  });

  it('create writes config keys and the memory and cpu limits into the config file, stopped when start is false', async () => {
    made.push(a);
    const result = await run('container.create', null, {
      runtime: 'lxc',
      name: a,
      lxcPath,
      config: { 'lxc.net.0.link': 'lxcbr0', 'lxc.start.auto': '0' },
      memoryBytes: 64 * 1024 * 1024,
      cpus: 0.5,
      start: false,
    });
    expect(result).toEqual({ name: a, lxcPath, state: 'STOPPED' });
    expect(await lxcNames()).toContain(a);
    expect(await lxcState(a)).toBe('STOPPED');

    const config = await readFile(join(lxcPath, a, 'config'), 'utf8');
    expect(config.match(/^lxc\.net\.0\.link = .*$/gm)).toEqual(['lxc.net.0.link = lxcbr0']);
    expect(config).toMatch(/^lxc\.start\.auto = 0$/m);
    if ((await detectCgroupLayout()) === 'v2') {
      expect(config).toMatch(/^lxc\.cgroup2\.memory\.max = 67108864$/m);
      expect(config).toMatch(/^lxc\.cgroup2\.cpu\.max = 50000 100000$/m);
    } else {
      expect(config).toMatch(/^lxc\.cgroup\.memory\.limit_in_bytes = 67108864$/m);
      expect(config).toMatch(/^lxc\.cgroup\.cpu\.cfs_quota_us = 50000$/m);
    }
  });

  it('create refuses a name that exists with conflict', async () => {
    const error = await failure(run('container.create', null, { runtime: 'lxc', name: a, lxcPath, start: false }));
    expect(error.code).toBe('conflict');
  });

  it('create refuses an lxcpath the agent does not manage', async () => {
    const sut = lxcCreate({ lxcPaths: [lxcPath] });
    const { ctx } = context('container.create', null, { runtime: 'lxc', name: 'x', lxcPath: '/var/tmp/elsewhere' });
    expect((await failure(sut(ctx))).code).toBe('invalid_params');
  });

  it('start brings the container to RUNNING with the memory limit applied', async () => {
    const result = await run('container.start', a);
    expect(result).toMatchObject({ name: a, state: 'RUNNING' });
    expect(await lxcState(a)).toBe('RUNNING');
    const v2 = (await detectCgroupLayout()) === 'v2';
    const limit = await sh('lxc-cgroup', ['-P', lxcPath, '-n', a, v2 ? 'memory.max' : 'memory.limit_in_bytes']);
    expect(limit).toBe('67108864');
  });

  it('create with start: true returns once the container is RUNNING', async () => {
    made.push(b);
    const result = await run('container.create', null, { runtime: 'lxc', name: b, lxcPath });
    expect(result).toEqual({ name: b, lxcPath, state: 'RUNNING' });
    expect(await lxcState(b)).toBe('RUNNING');
  });

  it('exec runs a command and returns its output; stdout and stderr stay apart and stream', async () => {
    const echo = await run('container.exec', a, { command: ['echo', 'hi'] });
    expect(ExecResultSchema.parse(echo)).toEqual({ exitCode: 0, stdout: 'hi\n', stderr: '', truncated: false });

    const { ctx, output } = context('container.exec', a, { command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    const failed = await handlers['container.exec']!(ctx);
    expect(failed).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', truncated: false });
    expect(output).toEqual({ stdout: 'out\n', stderr: 'err\n' });
  });

  it('exec passes env, workdir and user, and nothing of the agent environment', async () => {
    const result = await run('container.exec', a, {
      command: ['sh', '-c', 'echo "$FOO|$HOME|$(pwd)|$(id -u):$(id -g)"'],
      env: { FOO: 'bar baz' },
      workdir: '/etc',
      user: '1000:1001',
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'bar baz||/etc|1000:1001\n' });
    const root = await run('container.exec', a, { command: ['id', '-u'], user: 'root' });
    expect(root).toMatchObject({ exitCode: 0, stdout: '0\n' });
    const unknown = await failure(run('container.exec', a, { command: ['true'], user: 'nosuchuser' }));
    expect(unknown.code).toBe('invalid_params');
  });

  it('exec cuts output at maxOutputBytes and says so', async () => {
    const script = 'i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done';
    const { ctx, output } = context('container.exec', a, { command: ['sh', '-c', script], maxOutputBytes: 1000 });
    const result = await handlers['container.exec']!(ctx);
    expect(result).toMatchObject({ exitCode: 0, truncated: true });
    expect((result as { stdout: string }).stdout).toBe('0123456789\n'.repeat(100).slice(0, 1000));
    expect(output.stdout.length).toBe(1000);
  });

  it('exec stops the command inside the container within seconds when the signal aborts', async () => {
    const marker = `corral-sleep-${suffix}`;
    // A distinct argv[0]-visible marker lets ps inside the container tell whether it still runs.
    const { ctx, abort } = context('container.exec', a, { command: ['sh', '-c', `sleep 30; echo ${marker}`] });
    const started = performance.now();
    const pending = handlers['container.exec']!(ctx);
    setTimeout(() => abort.abort(), 500);
    const error = await failure(pending);
    const ms = performance.now() - started;
    expect(error.code).toBe('canceled');
    expect(ms).toBeLessThan(5_000);
    const ps = await sh('lxc-attach', ['-P', lxcPath, '-n', a, '--', 'ps']);
    expect(ps).not.toContain('sleep 30');
    expect(ps).not.toContain(marker);
  });

  it('exec stops a command that outlives timeoutSeconds', async () => {
    const started = performance.now();
    const error = await failure(run('container.exec', a, { command: ['sleep', '30'], timeoutSeconds: 1 }));
    expect(error.code).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await sh('lxc-attach', ['-P', lxcPath, '-n', a, '--', 'ps'])).not.toContain('sleep 30');
  });

  it('freeze makes it FROZEN, exec is then refused, unfreeze makes it RUNNING again', async () => {
    expect(await run('container.freeze', a)).toMatchObject({ state: 'FROZEN' });
    expect(await lxcState(a)).toBe('FROZEN');
    expect((await failure(run('container.exec', a, { command: ['true'] }))).code).toBe('conflict');
    expect(await run('container.unfreeze', a)).toMatchObject({ state: 'RUNNING' });
    expect(await lxcState(a)).toBe('RUNNING');
  });

  it('restart stops and starts it again: RUNNING with a new init', async () => {
    const before = await lxcPid(a);
    expect(await run('container.restart', a, { timeoutSeconds: 10 })).toMatchObject({ state: 'RUNNING' });
    expect(await lxcState(a)).toBe('RUNNING');
    expect(await lxcPid(a)).not.toBe(before);
  });

  it('stop shuts it down to STOPPED; exec on a stopped container is a conflict; stopping again is a no-op', async () => {
    expect(await run('container.stop', a, { timeoutSeconds: 10 })).toMatchObject({ state: 'STOPPED' });
    expect(await lxcState(a)).toBe('STOPPED');
    expect((await failure(run('container.exec', a, { command: ['true'] }))).code).toBe('conflict');
    expect(await run('container.stop', a, { kill: true })).toMatchObject({ state: 'STOPPED' });
  });

  it('stop with kill ends a running container at once', async () => {
    await run('container.start', a);
    expect(await run('container.stop', a, { kill: true })).toMatchObject({ state: 'STOPPED' });
    expect(await lxcState(a)).toBe('STOPPED');
  });

  it('snapshot.create names the new snapshot and keeps the comment; a running container is refused', async () => {
    expect(await run('container.snapshot.create', a, { comment: 'before the marker\nsecond line' })).toMatchObject({
      snapshot: 'snap0',
    });
    expect(await run('container.snapshot.create', a)).toMatchObject({ snapshot: 'snap1' });
    const listed = await sh('lxc-snapshot', ['-P', lxcPath, '-n', a, '-L']);
    expect(listed).toMatch(/^snap0 /m);
    expect(listed).toMatch(/^snap1 /m);
    expect((await failure(run('container.snapshot.create', b))).code).toBe('conflict');
  });

  it('snapshot.list returns names, times and comments', async () => {
    const result = (await run('container.snapshot.list', a)) as {
      snapshots: Array<{ name: string; createdAt: string; comment: string | null }>;
    };
    expect(result.snapshots.map(({ name, comment }) => ({ name, comment }))).toEqual([
      { name: 'snap0', comment: 'before the marker\nsecond line' },
      { name: 'snap1', comment: null },
    ]);
    for (const s of result.snapshots) expect(Math.abs(Date.parse(s.createdAt) - Date.now())).toBeLessThan(120_000);
  });

  it('snapshot.restore rolls the root file system back, or into a new container with newName', async () => {
    const marker = join(lxcPath, a, 'rootfs', 'corral-marker');
    await writeFile(marker, 'after snap0\n');
    expect(await run('container.snapshot.restore', a, { snapshot: 'snap0' })).toMatchObject({
      name: a,
      restoredFrom: 'snap0',
    });
    await expect(stat(marker)).rejects.toMatchObject({ code: 'ENOENT' });

    made.push(restored);
    expect(await run('container.snapshot.restore', a, { snapshot: 'snap1', newName: restored })).toMatchObject({
      name: restored,
    });
    expect(await lxcNames()).toContain(restored);
    expect(await lxcState(restored)).toBe('STOPPED');
  });

  it('snapshot.restore refuses a missing snapshot, a taken newName and a running container', async () => {
    expect((await failure(run('container.snapshot.restore', a, { snapshot: 'snap9' }))).code).toBe('not_found');
    expect((await failure(run('container.snapshot.restore', a, { snapshot: 'snap0', newName: b }))).code).toBe(
      'conflict',
    );
    expect((await failure(run('container.snapshot.restore', b, { snapshot: 'snap0' }))).code).toBe('conflict');
  });

  it('snapshot.delete removes one snapshot; a missing one is not_found', async () => {
    expect(await run('container.snapshot.delete', a, { snapshot: 'snap1' })).toMatchObject({ deleted: true });
    const listed = await sh('lxc-snapshot', ['-P', lxcPath, '-n', a, '-L']);
    expect(listed).toMatch(/^snap0 /m);
    expect(listed).not.toMatch(/^snap1 /m);
    expect((await failure(run('container.snapshot.delete', a, { snapshot: 'snap1' }))).code).toBe('not_found');
  });

  it('clone makes a full copy and an overlay snapshot clone that starts', async () => {
    made.push(full);
    expect(await run('container.clone', a, { newName: full })).toEqual({
      name: full,
      lxcPath,
      source: a,
      snapshot: false,
    });
    made.push(overlay);
    expect(await run('container.clone', a, { newName: overlay, snapshot: true })).toMatchObject({ name: overlay });
    expect(await lxcNames()).toEqual(expect.arrayContaining([full, overlay]));
    expect(await readFile(join(lxcPath, full, 'config'), 'utf8')).toMatch(/^lxc\.rootfs\.path = dir:/m);
    expect(await readFile(join(lxcPath, overlay, 'config'), 'utf8')).toMatch(/^lxc\.rootfs\.path = overlay:/m);
    expect(await run('container.start', overlay)).toMatchObject({ state: 'RUNNING' });
  });

  it('clone refuses a running source and a taken name', async () => {
    expect((await failure(run('container.clone', b, { newName: `${b}-x` }))).code).toBe('conflict');
    expect((await failure(run('container.clone', a, { newName: full }))).code).toBe('conflict');
  });

  it('ops on a container that does not exist are not_found', async () => {
    for (const op of ['container.start', 'container.freeze', 'container.snapshot.list'] as const) {
      expect((await failure(run(op, `corral-test-ops-${suffix}-missing`))).code).toBe('not_found');
    }
    const exec = run('container.exec', `corral-test-ops-${suffix}-missing`, { command: ['true'] });
    expect((await failure(exec)).code).toBe('not_found');
  });

  it('remove refuses a running container unless forced, and force destroys it', async () => {
    const refused = await failure(run('container.remove', b));
    expect(refused).toMatchObject({ code: 'conflict', message: 'container is running; stop it first or use force' });
    expect(await lxcState(b)).toBe('RUNNING');
    expect(await run('container.remove', b, { force: true })).toMatchObject({ name: b, removed: true });
    expect(await lxcNames()).not.toContain(b);
  });

  it('remove refuses a source with an overlay clone or with snapshots; force takes the snapshots along', async () => {
    const cloned = await failure(run('container.remove', a));
    expect(cloned.code).toBe('conflict');
    expect(cloned.message).toContain(overlay);
    expect(await run('container.remove', overlay, { force: true })).toMatchObject({ removed: true });
    const snapshots = await failure(run('container.remove', a));
    expect(snapshots).toMatchObject({ code: 'conflict', message: expect.stringContaining('has snapshots') });
    expect(await sh('lxc-snapshot', ['-P', lxcPath, '-n', a, '-L'])).toMatch(/^snap0 /m);
    expect(await run('container.remove', a, { force: true })).toMatchObject({ removed: true });
    const names = await lxcNames();
    expect(names).not.toContain(a);
    expect(names).not.toContain(overlay);
    await expect(stat(join(lxcPath, a))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('remove without force destroys a stopped container that has no snapshots', async () => {
    expect(await run('container.remove', full)).toMatchObject({ removed: true });
    expect(await lxcNames()).not.toContain(full);
  });
});
