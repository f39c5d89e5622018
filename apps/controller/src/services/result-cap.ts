import type { CommandError } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { CommandLimitsRepository, type CommandOutputLimit } from '../repositories/command-limits.repository.js';
import { CONFIG } from '../repositories/tokens.js';

// What an agent sends back is stored only up to the command's own limits: its maxOutputBytes per
// output stream (the agent's own cap for logs), and CORRAL_MAX_RESULT_BYTES for the whole result. A
// result that was cut says so (`truncated: true`), so a compromised agent cannot fill the database.

// The agent keeps this much of each stream of container.logs (LOGS_MAX_BYTES there).
export const LOGS_OUTPUT_CAP_BYTES = 4 * 1024 * 1024;
// The longest error message kept.
export const ERROR_MESSAGE_CAP_CHARS = 64 * 1024;

const OUTPUT_FIELDS = ['stdout', 'stderr'] as const;

// `text` cut to at most `bytes` of UTF-8, never inside a character.
export function cutUtf8(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  const cut = Buffer.from(text).subarray(0, bytes).toString('utf8');
  // A character cut in half decodes to U+FFFD; drop it.
  return cut.endsWith('\ufffd') ? cut.slice(0, -1) : cut;
}

// Bytes per output stream the command may return; null for ops without output.
export function streamCap(limit: CommandOutputLimit | null): number | null {
  if (!limit) return null;
  if (limit.op === 'container.exec') return limit.maxOutputBytes;
  if (limit.op === 'container.logs') return LOGS_OUTPUT_CAP_BYTES;
  return null;
}

// Pure: the result as stored, with `truncated: true` when anything was cut.
export function capResult(
  result: Record<string, unknown>,
  perStream: number | null,
  totalCap: number,
): Record<string, unknown> {
  let out = result;
  const cutStreams = (max: number) => {
    for (const field of OUTPUT_FIELDS) {
      const text = out[field];
      if (typeof text !== 'string') continue;
      const cut = cutUtf8(text, max);
      if (cut !== text) out = { ...out, [field]: cut, truncated: true };
    }
  };
  if (perStream !== null) cutStreams(perStream);
  const size = Buffer.byteLength(JSON.stringify(out));
  if (size <= totalCap) return out;
  if (OUTPUT_FIELDS.some((f) => typeof out[f] === 'string')) {
    // Room left for the streams once everything else is counted, shared between them; halved
    // again while JSON escaping still makes them too long.
    const rest = Buffer.byteLength(JSON.stringify({ ...out, stdout: '', stderr: '', truncated: true }));
    for (let budget = Math.floor((totalCap - rest) / 2); budget > 0; budget = Math.floor(budget / 2)) {
      cutStreams(budget);
      if (Buffer.byteLength(JSON.stringify(out)) <= totalCap) return out;
    }
  }
  return {
    truncated: true,
    message: `the result (${size} bytes) was larger than CORRAL_MAX_RESULT_BYTES (${totalCap}) and was not kept`,
  };
}

@Injectable()
export class ResultCapService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly limits: CommandLimitsRepository,
  ) {}

  // The agent's result and error as the controller stores them.
  async cap(
    id: string,
    hostId: string,
    result: Record<string, unknown> | null,
    error: CommandError | null,
  ): Promise<{ result: Record<string, unknown> | null; error: CommandError | null }> {
    const cappedError =
      error && error.message.length > ERROR_MESSAGE_CAP_CHARS
        ? { ...error, message: `${error.message.slice(0, ERROR_MESSAGE_CAP_CHARS)}… (cut)` }
        : error;
    if (!result) return { result, error: cappedError };
    // Only results that carry output need the command's own limit; the rest only the total cap.
    const hasOutput = OUTPUT_FIELDS.some((f) => typeof result[f] === 'string' && (result[f] as string).length > 0);
    const perStream = hasOutput ? streamCap(await this.limits.outputLimit(id, hostId)) : null;
    return { result: capResult(result, perStream, this.config.maxResultBytes), error: cappedError };
  }
}
