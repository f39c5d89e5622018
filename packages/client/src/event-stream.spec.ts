import { describe, expect, it } from 'vitest';
import { openEventStream, parseSseFrames, readEventStream } from './event-stream.js';

describe('parseSseFrames', () => {
  it('splits complete frames, skips comments and keeps a partial frame for later', () => {
    const sut = parseSseFrames;
    const { frames, rest } = sut(
      ': keepalive\n\nid: 7\nevent: container-started\ndata: {"a":1}\n\nid: 8\nevent: x\nda',
    );
    expect(frames).toEqual([{ id: '7', event: 'container-started', data: '{"a":1}' }]);
    expect(rest).toBe('id: 8\nevent: x\nda');
  });

  it('joins multi-line data and reads CRLF line ends', () => {
    const { frames } = parseSseFrames('data: one\r\ndata: two\r\n\r\n');
    expect(frames).toEqual([{ id: null, event: 'message', data: 'one\ntwo' }]);
  });
});

describe('readEventStream', () => {
  it('yields events and resets with their ids, types and parsed data, across chunk boundaries', async () => {
    const chunks = ['id: 1\nevent: host-online\nda', 'ta: {"a":1}\n\n: ping\n\nevent: reset\ndata: {"reason":"x"}\n\n'];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    });
    const sut = readEventStream(body);
    const seen = [];
    for await (const e of sut) seen.push(e);
    expect(seen).toEqual([
      { id: '1', type: 'host-online', data: { a: 1 } },
      { id: null, type: 'reset', data: { reason: 'x' } },
    ]);
  });
});

describe('openEventStream', () => {
  it('hands over events, resumes with Last-Event-ID after a drop and stops on a refusal', async () => {
    const seen: number[] = [];
    const sentIds: (string | undefined)[] = [];
    let call = 0;
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      call += 1;
      sentIds.push((init.headers as Record<string, string>)['last-event-id']);
      if (call === 1) {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode('id: 4\nevent: host-online\ndata: {"id":4,"type":"host-online"}\n\n'));
            c.close();
          },
        });
        return new Response(body, { status: 200 });
      }
      return new Response('signed out', { status: 401 });
    }) as unknown as typeof fetch;
    let refused = 0;
    await new Promise<void>((resolve) => {
      openEventStream(
        { url: 'http://x/api/v1/events', headers: {}, fetch: fakeFetch, retryMs: 1 },
        {
          onEvent: (e) => seen.push(e.id),
          onRefused: (status) => {
            refused = status;
            resolve();
          },
        },
      );
    });
    expect(seen).toEqual([4]);
    expect(sentIds).toEqual([undefined, '4']);
    expect(refused).toBe(401);
  });
});
