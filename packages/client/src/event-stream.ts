// Server-Sent Events over fetch, for browsers and Node alike: the web view's live updates and any
// client that follows GET /api/v1/events. Reconnects with Last-Event-ID after a drop.

export interface CorralEvent {
  id: number;
  type: string;
  kind: string;
  hostId: string | null;
  at: string;
  data: Record<string, unknown>;
}

export interface ResetNotice {
  reason: string;
  lastEventId: number;
  resumeFrom: number;
}

export interface EventStreamFilter {
  host?: string;
  kind?: string[];
  type?: string[];
}

export interface EventQuery extends EventStreamFilter {
  lastEventId?: string;
}

// One message of the event stream: an event (`type` is its type) or a `reset` notice.
export interface StreamedEvent {
  id: string | null;
  type: string;
  data: Record<string, unknown>;
}

export interface EventStreamHandlers {
  onEvent(event: CorralEvent): void;
  // Events were missed (the window moved on, or the controller restarted): list again, then carry on.
  onReset?(notice: ResetNotice): void;
  // The stream is open (true) or lost and being retried (false).
  onConnection?(open: boolean): void;
  // The server refused the stream (401 after sign-out, 400 for a bad filter); it is not retried.
  onRefused?(status: number, body: string): void;
}

export interface SseFrame {
  id: string | null;
  event: string;
  data: string;
}

// Splits a growing text buffer into complete frames; returns them and what is left over.
export function parseSseFrames(buffer: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  const normalized = buffer.replace(/\r\n?/g, '\n');
  let start = 0;
  for (;;) {
    const end = normalized.indexOf('\n\n', start);
    if (end < 0) break;
    const block = normalized.slice(start, end);
    start = end + 2;
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) frames.push({ id, event, data: data.join('\n') });
  }
  return { frames, rest: normalized.slice(start) };
}

// Reads Server-Sent Events from a fetch body until it ends (or its fetch is aborted).
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const { frames, rest } = parseSseFrames(buffer);
      buffer = rest;
      for (const frame of frames) {
        yield { id: frame.id, type: frame.event, data: JSON.parse(frame.data) as Record<string, unknown> };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

export interface EventStreamOptions {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  // Delay before a reconnect; grows to maxRetryMs.
  retryMs?: number;
  maxRetryMs?: number;
}

export interface EventStreamHandle {
  close(): void;
  // The last event id seen, for a caller that resumes elsewhere.
  readonly lastEventId: number | null;
}

export function openEventStream(options: EventStreamOptions, handlers: EventStreamHandlers): EventStreamHandle {
  let closed = false;
  let lastEventId: number | null = null;
  let abort: AbortController | null = null;
  let delay = options.retryMs ?? 500;
  const maxDelay = options.maxRetryMs ?? 10_000;

  const run = async () => {
    while (!closed) {
      abort = new AbortController();
      let opened = false;
      try {
        const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
        if (lastEventId !== null) headers['last-event-id'] = String(lastEventId);
        const res = await options.fetch(options.url, { headers, signal: abort.signal });
        if (res.status >= 400 && res.status < 500) {
          closed = true;
          handlers.onRefused?.(res.status, await res.text());
          return;
        }
        if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
        opened = true;
        delay = options.retryMs ?? 500;
        handlers.onConnection?.(true);
        for await (const frame of readEventStream(res.body)) {
          if (frame.id !== null && /^\d+$/.test(frame.id)) lastEventId = Number(frame.id);
          if (frame.type === 'reset') handlers.onReset?.(frame.data as unknown as ResetNotice);
          else handlers.onEvent(frame.data as unknown as CorralEvent);
        }
      } catch {
        // A drop or an abort; retried below unless closed.
      }
      if (closed) return;
      if (opened) handlers.onConnection?.(false);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(maxDelay, delay * 2);
    }
  };
  void run();
  return {
    close() {
      closed = true;
      abort?.abort();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
