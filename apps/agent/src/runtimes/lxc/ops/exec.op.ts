import type { ExecResult } from '@corral/protocol';
import { type CommandContext, CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { attachArgs, parseExecUser } from './attach-args.js';
import { CappedOutput } from './capped-output.js';
import { containerRef, containerState, type LxcDeps, type LxcRef, lxc, requireState } from './lxc-op.context.js';

const ID_TIMEOUT_MS = 10_000;

// Runs a command in a running container through lxc-attach, streaming its output; stops it on cancel or timeout.
export const lxcExec =
  (deps: LxcDeps): OpHandler<'container.exec'> =>
  async (ctx) => {
    const ref = containerRef(deps, ctx.target);
    const state = await containerState(deps, ctx, ref);
    requireState(ref, state, ['RUNNING'], state === 'FROZEN' ? 'unfreeze it first' : 'start it first');
    const ids = ctx.params.user === undefined ? {} : await resolveUser(deps, ctx, ref, ctx.params.user);
    const args = attachArgs({
      ...ref,
      ...ids,
      command: ctx.params.command,
      env: ctx.params.env,
      workdir: ctx.params.workdir,
    });
    const max = ctx.params.maxOutputBytes;
    const stdout = new CappedOutput(max, (chunk) => ctx.output('stdout', chunk));
    const stderr = new CappedOutput(max, (chunk) => ctx.output('stderr', chunk));
    const timeoutSeconds = ctx.params.timeoutSeconds;
    const outcome = await deps.attach(args, {
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
      signal: ctx.signal,
      timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    });
    const result: ExecResult = {
      exitCode: outcome.exitCode,
      stdout: stdout.end(),
      stderr: stderr.end(),
      truncated: stdout.truncated || stderr.truncated,
    };
    if (outcome.stoppedBy === 'timeout') {
      throw new CommandFailure('timeout', `the command ran longer than ${timeoutSeconds} s and was stopped`);
    }
    if (outcome.stoppedBy === 'abort') {
      const pastDeadline = Date.now() >= ctx.deadline.getTime();
      throw pastDeadline
        ? new CommandFailure('timeout', 'the command ran past its deadline and was stopped')
        : new CommandFailure('canceled', 'the command was canceled and stopped');
    }
    return result;
  };

// lxc-attach takes numeric ids only; a user name is looked up with the container's own `id`.
async function resolveUser(
  deps: LxcDeps,
  ctx: CommandContext,
  ref: LxcRef,
  user: string,
): Promise<{ uid: number; gid?: number }> {
  const parsed = parseExecUser(user);
  if (parsed === null) throw new CommandFailure('invalid_params', 'params.user: a user name, "uid" or "uid:gid"');
  if ('uid' in parsed) return parsed;
  const id = async (flag: '-u' | '-g') => {
    const args = ['-P', ref.lxcPath, '-n', ref.name, '--clear-env', '--', 'id', flag, parsed.name];
    const { stdout } = await lxc(deps, ctx, 'lxc-attach', args, ID_TIMEOUT_MS, (error) =>
      /unknown user|no such user/i.test(error.stderr)
        ? new CommandFailure('invalid_params', `params.user: ${parsed.name} is not a user in container ${ref.name}`)
        : null,
    );
    const value = stdout.trim();
    if (!/^\d+$/.test(value)) throw new CommandFailure('engine_error', `id ${flag} ${parsed.name} printed "${value}"`);
    return Number(value);
  };
  return { uid: await id('-u'), gid: await id('-g') };
}
