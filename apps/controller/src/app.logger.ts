import { ConsoleLogger, type LoggerService, type LogLevel } from '@nestjs/common';
import { type DestinationStream, type Logger as Pino, pino } from 'pino';
import { redactLogFields } from './log-redaction.js';
import { currentRequestId } from './request-context.js';

export type CorralLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormatSetting = 'auto' | 'json' | 'text';

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

// Text for a person at a terminal, JSON lines for everything that reads a pipe or a file.
export function resolveLogFormat(setting: LogFormatSetting, stdout: { isTTY?: boolean }): 'json' | 'text' {
  if (setting !== 'auto') return setting;
  return stdout.isTTY === true ? 'text' : 'json';
}

// The controller's one logger, as CORRAL_LOG_FORMAT and the terminal say.
export function createAppLogger(config: {
  logLevel: CorralLogLevel;
  logFormat?: LogFormatSetting;
  replicaId?: string | null;
}): LoggerService {
  return resolveLogFormat(config.logFormat ?? 'auto', process.stdout) === 'json'
    ? new JsonLogger(config.logLevel, process.stdout, config.replicaId ?? null)
    : new AppLogger(config.logLevel);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Error);

// Text lines: CORRAL_LOG_LEVEL, Nest's route mapping at debug, colours only on a terminal; fields of
// a structured line (commandId, hostId, ...) and the request id as key=value after the message.
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

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    const requestId = currentRequestId();
    if (!isPlainObject(message)) {
      const text = super.stringifyMessage(message, logLevel);
      return requestId ? `${text} reqId=${requestId}` : text;
    }
    const { msg, ...fields } = redactLogFields(message);
    if (requestId) fields.reqId = requestId;
    const pairs = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return super.stringifyMessage([String(msg ?? ''), ...pairs].join(' '), logLevel);
  }
}

type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug';

const NO_FIELDS = {};

// JSON lines through pino: level, time, context, msg, the request id of the request being served,
// the fields of a structured line (an object message), secrets taken out.
export class JsonLogger implements LoggerService {
  private readonly pino: Pino;

  // `replica`: CORRAL_REPLICA_ID when set, on every line (lines of several replicas end up together).
  constructor(level: CorralLogLevel, destination: DestinationStream = process.stdout, replica: string | null = null) {
    this.pino = pino(
      {
        level,
        base: replica ? { pid: process.pid, replica } : { pid: process.pid },
        messageKey: 'msg',
        mixin: () => {
          const requestId = currentRequestId();
          return requestId ? { reqId: requestId } : NO_FIELDS;
        },
        // pino's default merges the line into the mixin's object: the shared empty one would keep
        // every field it was given. The line's own object is made per call (write below).
        mixinMergeStrategy: (line, mixed) => (mixed === NO_FIELDS ? line : Object.assign(line, mixed)),
        formatters: { level: (label) => ({ level: label }), log: (fields) => redactLogFields(fields) },
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      destination,
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    const level = typeof context === 'string' && START_UP_CONTEXTS.has(context) ? 'debug' : 'info';
    this.write(level, message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest, true);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest, true);
  }

  // Nest calls (message, context) and, for errors, (message, stack, context): the last string is the context.
  private write(level: PinoLevel, message: unknown, rest: unknown[], withStack = false): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = withStack && rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else if (isPlainObject(message)) {
      const { msg, ...rest } = message;
      this.pino[level](Object.assign(fields, rest), typeof msg === 'string' ? msg : '');
    } else {
      this.pino[level](fields, typeof message === 'string' ? message : String(message));
    }
  }
}
