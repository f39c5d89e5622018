import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CORRAL_LABELS, type CommandOp } from '@corral/protocol';
import { statusCodeOf } from '../../../executor/errors.js';
import { type CommandContext, CommandFailure } from '../../../executor/handler.js';

// Everything Corral creates carries this label, so cleanup can touch only what is ours.
export const MANAGED_LABEL = CORRAL_LABELS.managed;

export function managedLabels(labels: Record<string, string>): Record<string, string> {
  return { ...labels, [MANAGED_LABEL]: 'true' };
}

export function targetId<Op extends CommandOp>(ctx: CommandContext<Op>): string {
  const t = ctx.target;
  switch (t.kind) {
    case 'container':
    case 'image':
    case 'network':
      return t.id;
    case 'volume':
      return t.name;
    default:
      throw new CommandFailure('invalid_params', `${ctx.op} needs a container, image, volume or network target`);
  }
}

// Docker answers 304 when the container already is in the asked state; that is success.
export async function unlessAlready(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if (statusCodeOf(error) === 304) return false;
    throw error;
  }
}

export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

// Collects one output stream up to `maxBytes`, passing each kept piece on as text as it comes.
export class CappedOutput {
  readonly writable: Writable;
  truncated = false;
  private readonly chunks: string[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onText: (text: string) => void = () => {},
  ) {
    this.writable = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.push(chunk);
        done();
      },
    });
  }

  push(chunk: Buffer): void {
    const room = this.maxBytes - this.bytes;
    if (room <= 0) {
      if (chunk.length > 0) this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.bytes += kept.length;
    this.emit(this.decoder.write(kept));
  }

  text(): string {
    this.emit(this.decoder.end());
    return this.chunks.join('');
  }

  private emit(text: string): void {
    if (!text) return;
    this.chunks.push(text);
    this.onText(text);
  }
}
