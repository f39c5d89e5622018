import { CorralApiError, CorralStreamError, type StreamOutcome } from '@corral/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corral } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// Exec and log streams through the controller and the agent, with the typed client, on real Docker.
describe('exec and log streams', () => {
  const corral = new Corral();
  const name = `corral-test-stream-${corral.tag}`;

  beforeAll(async () => {
    await corral.start();
    await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name,
      command: ['sh', '-c', 'echo first-line; exec sleep 3600'],
      labels: { 'corral.test': '1' },
    });
  }, 120_000);

  afterAll(async () => {
    await sh('docker', ['rm', '-f', name]).catch(() => {});
    await corral.stop();
  });

  const collect = () => {
    const out: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
    const onOutput = (ch: 'stdout' | 'stderr', d: Uint8Array) => {
      out[ch] += Buffer.from(d).toString();
    };
    return { out, handlers: { onOutput } };
  };

  it('runs a program with stdin, passing output, stdin EOF and the exit code', async () => {
    const { out, handlers } = collect();
    const sut = await corral.client.execStream(
      name,
      { command: ['sh', '-c', 'cat; echo err >&2; exit 3'], stdin: true },
      handlers,
    );
    expect(sut.started).toMatchObject({ name, runtime: 'docker', hostId: corral.hostId });
    await sut.write(Buffer.from('hello through corral\n'));
    sut.eof();
    const outcome: StreamOutcome = await sut.done;
    expect(outcome).toEqual({ kind: 'exit', exitCode: 3, signal: null });
    expect(out.stdout).toBe('hello through corral\n');
    expect(out.stderr).toBe('err\n');
  });

  it('gives a terminal of the asked size that follows resizes', async () => {
    const { out, handlers } = collect();
    const sut = await corral.client.execStream(
      name,
      { command: ['sh'], tty: true, stdin: true, cols: 91, rows: 17 },
      handlers,
    );
    await sut.write(Buffer.from('stty size\n'));
    await waitFor('size', async () => out.stdout.includes('17 91'), 5_000, 50);
    sut.resize(120, 40);
    await new Promise((r) => setTimeout(r, 200));
    await sut.write(Buffer.from('stty size; exit 7\n'));
    expect(await sut.done).toEqual({ kind: 'exit', exitCode: 7, signal: null });
    expect(out.stdout).toContain('40 120');
  });

  it('follows the log: old lines, then a new one as it is written', async () => {
    const { out, handlers } = collect();
    const sut = await corral.client.logsStream(name, { follow: true, tail: 10 }, handlers);
    await waitFor('first line', async () => out.stdout.includes('first-line'), 5_000, 50);
    await sh('docker', ['exec', name, 'sh', '-c', 'echo second-line > /proc/1/fd/1']);
    await waitFor('second line', async () => out.stdout.includes('second-line'), 5_000, 50);
    sut.close();
    expect((await sut.done).kind).toBe('closed');
  });

  it('kills the process when the client leaves', async () => {
    const sut = await corral.client.execStream(name, { command: ['sleep', '4242'] }, collect().handlers);
    await waitFor('running', async () => (await sh('docker', ['exec', name, 'ps'])).includes('sleep 4242'), 5_000, 100);
    sut.close();
    await waitFor('killed', async () => !(await sh('docker', ['exec', name, 'ps'])).includes('sleep 4242'), 5_000, 100);
  });

  it('refuses a viewer exec (403), an unknown container (404), and a stream that cannot start', async () => {
    const viewer = await corral.client.call<{ secret: string }>('POST', '/api/v1/tokens', {
      name: `v-${corral.tag}`,
      role: 'viewer',
    });
    const { CorralClient } = await import('@corral/client');
    const asViewer = new CorralClient({ baseUrl: corral.base, token: viewer.secret });
    const denied = await asViewer.execStream(name, { command: ['true'] }, collect().handlers).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(CorralApiError);
    expect((denied as CorralApiError).status).toBe(403);
    const logs = await asViewer.logsStream(name, { follow: false, tail: 1 }, collect().handlers);
    expect((await logs.done).kind).toBe('exit');
    const missing = await corral.client
      .execStream('nope-nothing', { command: ['true'] }, collect().handlers)
      .catch((e: unknown) => e);
    expect((missing as CorralApiError).status).toBe(404);
    const bad = await corral.client
      .execStream(name, { command: ['/no/such/program'] }, collect().handlers)
      .catch((e: unknown) => e);
    // Docker starts the exec and reports the failure as its exit code (126/127), like docker exec.
    if (bad instanceof CorralStreamError) expect(bad.outcome.kind).toBe('error');
    else expect((await (bad as { done: Promise<StreamOutcome> }).done).kind).toBe('exit');
  });
});
