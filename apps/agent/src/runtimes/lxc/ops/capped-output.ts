import { StringDecoder } from 'node:string_decoder';

// Keeps the first `maxBytes` bytes of one output stream and passes the same text on as it arrives; the rest is
// counted and dropped so a chatty command neither grows the agent's memory nor floods the controller.
export class CappedOutput {
  private readonly decoder = new StringDecoder('utf8');
  private kept = 0;
  private text = '';
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly forward: (chunk: string) => void,
  ) {}

  push(chunk: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.kept += part.length;
    this.emit(this.decoder.write(part));
  }

  // Flushes a multi-byte character left incomplete at the end (or at the cut) and returns everything kept.
  end(): string {
    this.emit(this.decoder.end());
    return this.text;
  }

  private emit(text: string): void {
    if (text === '') return;
    this.text += text;
    this.forward(text);
  }
}
