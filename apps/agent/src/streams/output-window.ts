import { STREAM_CHUNK_BYTES, STREAM_MAX_WINDOW } from '@corral/protocol';
import type { OutputChannel } from './stream-process.js';

// Sends output only as far as the receiver's credit goes: what does not fit waits here (at most
// one read of the source, since the source is paused as soon as anything waits) until credit comes.
export class OutputWindow {
  private credit: number;
  private readonly waiting: { channel: OutputChannel; chunk: Buffer }[] = [];

  constructor(
    window: number,
    private readonly send: (channel: OutputChannel, chunk: Buffer) => void,
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {
    this.credit = window;
  }

  get idle(): boolean {
    return this.waiting.length === 0;
  }

  push(channel: OutputChannel, chunk: Buffer): void {
    if (this.waiting.length > 0) {
      this.waiting.push({ channel, chunk });
      return;
    }
    const rest = this.sendWithin(channel, chunk);
    if (rest) {
      this.waiting.push({ channel, chunk: rest });
      this.pause();
    }
  }

  grant(bytes: number): void {
    this.credit = Math.min(STREAM_MAX_WINDOW, this.credit + bytes);
    while (this.waiting.length > 0 && this.credit > 0) {
      const head = this.waiting[0]!;
      const rest = this.sendWithin(head.channel, head.chunk);
      if (rest) {
        head.chunk = rest;
        return;
      }
      this.waiting.shift();
    }
    if (this.waiting.length === 0) this.resume();
  }

  // Sends what the credit allows in frames of at most STREAM_CHUNK_BYTES; returns what is left.
  private sendWithin(channel: OutputChannel, chunk: Buffer): Buffer | null {
    let offset = 0;
    while (offset < chunk.length && this.credit > 0) {
      const size = Math.min(STREAM_CHUNK_BYTES, this.credit, chunk.length - offset);
      this.send(channel, chunk.subarray(offset, offset + size));
      this.credit -= size;
      offset += size;
    }
    return offset < chunk.length ? chunk.subarray(offset) : null;
  }
}
