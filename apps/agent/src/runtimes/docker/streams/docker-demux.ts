import type { OutputChannel } from '../../../streams/stream-process.js';

const HEADER = 8;
const CHANNELS: Record<number, OutputChannel> = { 1: 'stdout', 2: 'stderr' };

// Docker's multiplexed attach stream (no TTY): frames of [type][0 0 0][length, 4 bytes BE][data].
// Data is handed on as views of the chunks read, in pieces as they arrive; only a header split
// across two reads is copied.
export class DockerDemux {
  private header: Buffer = Buffer.alloc(0);
  private channel: OutputChannel | null = null;
  private left = 0;

  constructor(private readonly emit: (channel: OutputChannel, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.left > 0) {
        const take = Math.min(this.left, chunk.length - offset);
        // stdin (type 0) is never sent back; anything else unknown is passed as stdout.
        if (this.channel) this.emit(this.channel, chunk.subarray(offset, offset + take));
        this.left -= take;
        offset += take;
        continue;
      }
      const need = HEADER - this.header.length;
      const part = chunk.subarray(offset, offset + need);
      this.header = this.header.length === 0 && part.length === HEADER ? part : Buffer.concat([this.header, part]);
      offset += part.length;
      if (this.header.length < HEADER) return;
      const type = this.header[0]!;
      this.channel = CHANNELS[type] ?? (type === 0 ? null : 'stdout');
      this.left = this.header.readUInt32BE(4);
      this.header = Buffer.alloc(0);
    }
  }
}
