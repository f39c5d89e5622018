type Channel = 'stdout' | 'stderr';

// The text of a followed log, kept to its last `maxLines` lines however long the stream runs.
// Each channel decodes and splits lines on its own, so a character or a line split across two
// chunks comes out whole, and stdout and stderr do not cut into each other's lines.
export class LogBuffer {
  private lines: string[] = [];
  private partial: Record<Channel, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<Channel, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(private readonly maxLines = 5000) {}

  append(channel: Channel, data: Uint8Array): void {
    const parts = (this.partial[channel] + this.decoders[channel].decode(data, { stream: true })).split('\n');
    this.partial[channel] = parts.pop() ?? '';
    for (const line of parts) this.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  get lineCount(): number {
    return this.lines.length + (this.partial.stdout ? 1 : 0) + (this.partial.stderr ? 1 : 0);
  }

  text(): string {
    const unended = [this.partial.stdout, this.partial.stderr].filter((l) => l !== '');
    return [...this.lines, ...unended].join('\n');
  }

  clear(): void {
    this.lines = [];
    this.partial = { stdout: '', stderr: '' };
  }
}
