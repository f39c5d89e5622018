export interface StreamEvent {
  type: string;
  data: Record<string, unknown>;
}

// A minimal Server-Sent Events reader on fetch: calls `onEvent` for each event as it arrives.
export class EventStream {
  received = 0;
  ended = false;
  error: Error | null = null;
  private constructor(private readonly abort: AbortController) {}

  static async open(
    url: string,
    onEvent: (event: StreamEvent, at: number) => void,
    now: () => number,
    headers: Record<string, string> = {},
  ): Promise<EventStream> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}: ${await res.text()}`);
    const stream = new EventStream(abort);
    void stream.pump(res.body, onEvent, now);
    return stream;
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(
    body: ReadableStream<Uint8Array>,
    onEvent: (event: StreamEvent, at: number) => void,
    now: () => number,
  ): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        const at = now();
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const dataLine = block.split('\n').find((l) => l.startsWith('data: '));
          if (!dataLine) continue;
          this.received++;
          onEvent(JSON.parse(dataLine.slice(6)) as StreamEvent, at);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') this.error = err as Error;
    } finally {
      this.ended = true;
    }
  }
}
