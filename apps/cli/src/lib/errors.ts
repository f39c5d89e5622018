import { CorralApiError, CorralStreamError } from '@corral/client';

// Exit codes, as README and `corral --help` document them.
export const EXIT = {
  ok: 0,
  // The request was refused or the work it started failed.
  failure: 1,
  // Wrong flags or arguments, or nothing says which controller to use.
  usage: 2,
  // Corral itself failed: the controller is unreachable or broken, a stream was cut.
  corral: 125,
  // Ended by Ctrl-C.
  interrupted: 130,
} as const;

// An error the command line reports as one line, with what to do about it and its exit code.
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    readonly fix?: string,
  ) {
    super(message);
  }
}

export const usage = (message: string, fix?: string) => new CliError(message, EXIT.usage, fix);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

// Any error, as the line the user sees and the code the process exits with. `baseUrl` names the
// controller in connection errors; `attached` commands (exec, run) use 125 for every Corral
// failure so that 1..124 stay the process's own.
export function describeError(error: unknown, baseUrl: string | null, attached = false): CliError {
  const corral = (message: string, fix?: string) => new CliError(message, EXIT.corral, fix);
  const fail = (message: string, fix?: string) => new CliError(message, attached ? EXIT.corral : EXIT.failure, fix);
  // Already decided by the command that threw it.
  if (error instanceof CliError) return error;
  if (error instanceof CorralApiError) {
    const message = error.message.replace(/\.$/, '');
    switch (error.status) {
      case 401:
        return fail(
          `the controller refused the token: ${message}`,
          'get a new token from an admin (corral tokens create) and run: corral login URL --token TOKEN',
        );
      case 403:
        return fail(message, 'ask an admin for a token with that role');
      case 404:
        return fail(message, 'check the name with: corral ps -a, corral images ls or corral hosts ls');
      case 409:
        if (error.candidates && error.candidates.length > 0) {
          const list = error.candidates
            .map((c) => `${c.hostname ?? c.hostId}/${c.name} (${c.id.slice(0, 8)})`)
            .join(', ');
          return fail(`${message}: ${list}`, 'name one as HOST/NAME or by its id');
        }
        return fail(message);
      case 400:
      case 422:
        return new CliError(
          message,
          attached ? EXIT.corral : EXIT.failure,
          error.field ? `check ${error.field}` : undefined,
        );
      default:
        if (error.status >= 500 || error.status === 0)
          return corral(`the controller failed: ${message}`, 'see the controller log');
        return fail(message);
    }
  }
  if (error instanceof CorralStreamError) {
    const o = error.outcome;
    if (
      o.kind === 'error' &&
      (o.code === 'not_found' || o.code === 'not_running' || o.code === 'invalid_params' || o.code === 'unsupported')
    ) {
      return fail(o.message);
    }
    return corral(error.message);
  }
  const code =
    (error as { code?: string; cause?: { code?: string } } | null)?.cause?.code ??
    (error as { code?: string } | null)?.code;
  if (code && NETWORK_CODES.has(code)) {
    return corral(
      `cannot reach the controller at ${baseUrl ?? '(none)'} (${code})`,
      'is it running? check the address with: corral context ls (or CORRAL_URL)',
    );
  }
  if (error instanceof TypeError && /fetch failed/.test(error.message)) {
    return corral(`cannot reach the controller at ${baseUrl ?? '(none)'}: ${error.message}`, 'is it running?');
  }
  return corral(error instanceof Error ? error.message : String(error));
}
