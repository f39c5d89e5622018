import { ConsoleLogger, type LogLevel } from '@nestjs/common';

export type CorralLogLevel = 'debug' | 'info' | 'warn' | 'error';

// Nest's start-up inventory (one line per module, controller, route and gateway subscription):
// useful when debugging routing, noise in every other start.
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'WebSocketsController']);

export function nestLogLevels(level: CorralLogLevel): LogLevel[] {
  const all: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug'];
  const cut = { error: 2, warn: 3, info: 4, debug: 5 }[level];
  return all.slice(0, cut);
}

// Colours only for a person at a terminal: never into a file or a pipe, never with NO_COLOR set.
export function wantsColours(
  env: NodeJS.ProcessEnv,
  streams: { stdout: { isTTY?: boolean }; stderr: { isTTY?: boolean } },
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return streams.stdout.isTTY === true && streams.stderr.isTTY === true;
}

// The controller's one logger: CORRAL_LOG_LEVEL, Nest's route mapping at debug, colours only on a terminal.
export class AppLogger extends ConsoleLogger {
  constructor(level: CorralLogLevel, colours = wantsColours(process.env, process)) {
    super({ logLevels: nestLogLevels(level), colors: colours, prefix: 'Corral' });
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) {
      super.debug(message, ...rest);
      return;
    }
    super.log(message, ...rest);
  }
}
