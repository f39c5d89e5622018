export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, extra?: object): void;
  info(msg: string, extra?: object): void;
  warn(msg: string, extra?: object): void;
  error(msg: string, extra?: object): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// One JSON object per line on stderr, so stdout stays free and log shippers can parse it.
export class JsonLogger implements Logger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly bindings: object = {},
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  child(bindings: object): JsonLogger {
    return new JsonLogger(this.level, { ...this.bindings, ...bindings }, this.write);
  }

  debug(msg: string, extra?: object): void {
    this.log('debug', msg, extra);
  }

  info(msg: string, extra?: object): void {
    this.log('info', msg, extra);
  }

  warn(msg: string, extra?: object): void {
    this.log('warn', msg, extra);
  }

  error(msg: string, extra?: object): void {
    this.log('error', msg, extra);
  }

  private log(level: LogLevel, msg: string, extra?: object): void {
    if (RANK[level] < RANK[this.level]) return;
    const entry = { time: new Date().toISOString(), level, msg, ...this.bindings, ...serializeErrors(extra) };
    this.write(`${JSON.stringify(entry)}\n`);
  }
}

// Error objects stringify to {}; keep their message and class.
function serializeErrors(extra: object | undefined): object {
  if (!extra) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
