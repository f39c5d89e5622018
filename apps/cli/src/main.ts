#!/usr/bin/env node
import { CommanderError } from 'commander';
import { describeError, EXIT } from './lib/errors.js';
import { buildProgram } from './program.js';

async function main(): Promise<void> {
  // A reader that went away (| head) ends us quietly, as it does any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed it already; help and --version are not errors.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const failure = describeError(error, process.env.CORRAL_URL ?? null);
    process.stderr.write(`corral: ${failure.message}${failure.fix ? `; ${failure.fix}` : ''}\n`);
    process.exitCode = failure.exitCode;
  }
}

void main();
