// One message of the event stream: an event (`type` is its type) or a `reset` notice.
export interface StreamedEvent {
  id: string | null;
  type: string;
  data: Record<string, unknown>;
}

export interface EventQuery {
  host?: string;
  kind?: string[];
  type?: string[];
  lastEventId?: string;
}

// Reads Server-Sent Events from a fetch body until it ends or the signal aborts.
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamedEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let type = 'message';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (line === '') {
        if (data.length > 0) yield { id, type, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
        type = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
  }
}
