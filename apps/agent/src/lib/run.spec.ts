import { describe, expect, it } from 'vitest';
import { CommandError, runCommand } from './run.js';

const node = process.execPath;

describe('runCommand', () => {
  it('returns stdout and stderr of a successful command', async () => {
    const sut = await runCommand(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err")'], {
      timeoutMs: 5_000,
    });
    expect(sut).toEqual({ stdout: 'out', stderr: 'err' });
  });

  it('passes extra environment and forces the C locale', async () => {
    const sut = await runCommand(node, ['-e', 'process.stdout.write(process.env.FOO + "/" + process.env.LC_ALL)'], {
      timeoutMs: 5_000,
      env: { FOO: 'bar' },
    });
    expect(sut.stdout).toBe('bar/C');
  });

  it('throws a CommandError with exit code and stderr when the command fails', async () => {
    const args = ['-e', 'process.stderr.write("boom\\n"); process.exit(3)'];
    const error = await runCommand(node, args, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ command: node, args, failure: 'exit', exitCode: 3, stderr: 'boom\n' });
    expect((error as Error).message).toContain('exited with code 3: boom');
  });

  it('reports a missing binary as not-found', async () => {
    const error = await runCommand('corral-no-such-binary', ['x'], { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'not-found', exitCode: null, command: 'corral-no-such-binary' });
  });

  it('kills a command that outlives its timeout', async () => {
    const error = await runCommand(node, ['-e', 'setTimeout(() => {}, 10_000)'], { timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ failure: 'timeout' });
    expect((error as Error).message).toContain('timed out after 200 ms');
  });
});
