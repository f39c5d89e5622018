import { type Command as ApiCommand, type CommandOp, CorralClient } from '@corral/client';
import { OPS } from '@corral/protocol';
import type { Command } from 'commander';
import { loadConfig, resolveTarget, type Target } from './config-store.js';
import { CliError, EXIT } from './errors.js';
import { Output } from './output.js';
import { Spinner, TransferBar } from './progress.js';

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  context?: string;
  url?: string;
  token?: string;
  color?: boolean;
}

const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'canceled']);

// What every command's action gets: the output, and the client for the configured controller.
export class Cli {
  readonly out: Output;
  target: Target | null = null;
  private clientPromise: Promise<CorralClient> | null = null;

  constructor(readonly global: GlobalOptions) {
    this.out = new Output({
      json: Boolean(global.json),
      quiet: Boolean(global.quiet),
      ...(global.color === false ? { color: false } : {}),
    });
  }

  static of(command: Command): Cli {
    return new Cli(command.optsWithGlobals() as GlobalOptions);
  }

  client(): Promise<CorralClient> {
    this.clientPromise ??= (async () => {
      this.target = resolveTarget(await loadConfig(), this.global);
      return new CorralClient({ baseUrl: this.target.url, token: this.target.token });
    })();
    return this.clientPromise;
  }

  // Issues an op and, unless detached, waits for it to end (showing progress on a terminal);
  // a command that does not succeed is an error naming it.
  async op(
    op: string,
    target: string,
    params: Record<string, unknown>,
    options: { detach?: boolean; label?: string; transfer?: boolean } = {},
  ): Promise<ApiCommand | null> {
    const name = knownOp(op);
    const client = await this.client();
    if (options.detach) {
      const command = await client.op(name, target, params as never);
      if (this.out.json) this.out.data(command);
      else this.out.line(command.id);
      return null;
    }
    const first = await client.op(name, target, params as never, { wait: options.transfer ? 1 : 2 });
    return this.waitFor(first, options.label ?? `${op} ${target}`, options.transfer);
  }

  // Waits for a command to end: a spinner with its status, or for transfers (pulls, loads, copies)
  // a bar of the bytes its progress lines report.
  async waitFor(command: ApiCommand, label: string, transfer = false): Promise<ApiCommand> {
    const client = await this.client();
    let current = command;
    if (!FINAL.has(current.status)) {
      if (transfer) {
        const bar = new TransferBar(label, this.out);
        try {
          while (!FINAL.has(current.status)) {
            current = await client.command(current.id, 1);
            bar.update(current.status, current.output);
          }
        } finally {
          bar.stop();
        }
      } else {
        const spinner = new Spinner(label, this.out);
        spinner.start(current.status);
        try {
          while (!FINAL.has(current.status)) {
            current = await client.command(current.id, 5);
            spinner.update(current.status);
          }
        } finally {
          spinner.stop();
        }
      }
    }
    if (current.status !== 'succeeded') {
      const error = current.error as { message?: string } | null;
      throw new CliError(
        `${label}: ${current.status.replace('_', ' ')}${error?.message ? `: ${error.message}` : ''}`,
        EXIT.failure,
        `details: corral commands show ${current.id}`,
      );
    }
    return current;
  }
}

// An op of the registry by name; ops another branch adds (image.pull, ...) work once the
// controller and this build know them.
export function knownOp(op: string): CommandOp {
  if (!(op in OPS)) {
    throw new CliError(
      `this Corral does not know the ${op} operation yet`,
      EXIT.corral,
      'update the controller and the corral command line',
    );
  }
  return op as CommandOp;
}

export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

// KEY=VALUE pairs of repeated options.
export function keyValues(values: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`${what} "${v}" is not KEY=VALUE`, EXIT.usage);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];
