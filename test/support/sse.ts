export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

// A Server-Sent Events client on fetch: parses frames as they arrive and keeps comments apart.
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  ended = false;
  // Why the stream broke off, when it did not end by close() (e.g. the controller was killed).
  failure: Error | null = null;
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(
    readonly status: number,
    private readonly controller: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const controller = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    const client = new SseClient(res.status, controller);
    if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}: ${await res.text()}`);
    void client.pump(res.body);
    return client;
  }

  // Events in arrival order, parsed as JSON, of the given types (all but `reset` when none are given).
  events<T = { id: number; type: string; kind: string; hostId: string | null; data: Record<string, unknown> }>(
    ...types: string[]
  ): T[] {
    return this.messages
      .filter((m) => (types.length ? types.includes(m.event) : m.event !== 'reset'))
      .map((m) => JSON.parse(m.data) as T);
  }

  async waitFor(predicate: (client: SseClient) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) {
        throw new Error(`stream condition not met; got ${JSON.stringify(this.messages.map((m) => m.event))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  // Resolves once an event of `type` has arrived; returns all events so far.
  async waitForType(type: string, count = 1, timeoutMs = 5_000): Promise<SseMessage[]> {
    await this.waitFor((c) => c.messages.filter((m) => m.event === type).length >= count, timeoutMs);
    return this.messages;
  }

  close(): void {
    this.controller.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end = this.buffer.indexOf('\n\n');
        while (end >= 0) {
          this.parse(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end + 2);
          end = this.buffer.indexOf('\n\n');
        }
        this.wake();
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') this.failure = err as Error;
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private parse(block: string): void {
    const message: SseMessage = { id: null, event: 'message', data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && message.id === null) return;
    message.data = data.join('\n');
    this.messages.push(message);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
