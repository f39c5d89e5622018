import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CorralEvent } from '../services/event-bus.js';
import { SseSink } from './sse-sink.js';

// A response stand-in: what was written, what is still buffered, and how it ended.
class FakeResponse extends PassThrough {
  written = '';
  endedWith: string | null = null;
  override write(chunk: string): boolean {
    this.written += chunk;
    return true;
  }
  override get writableLength(): number {
    return this.written.length;
  }
  override end(chunk?: unknown): this {
    this.endedWith = typeof chunk === 'string' ? chunk : '';
    return this;
  }
}

const event = (id: number, data: Record<string, unknown> = {}): CorralEvent => ({
  id,
  type: 'container-started',
  kind: 'container',
  hostId: null,
  at: 'now',
  data,
});

describe('SseSink', () => {
  it('cuts a client off (destroy, freeing what it holds) once it falls a buffer behind', () => {
    const res = new FakeResponse();
    const sut = new SseSink(res as never, 'full', 400);
    expect(sut.event(event(1))).toBe(true);
    let n = 2;
    while (sut.event(event(n, { pad: 'x'.repeat(50) }))) n++;
    expect(res.destroyed).toBe(true);
    expect(res.written.length).toBeLessThanOrEqual(400);
    expect(sut.event(event(n + 1))).toBe(false);
  });

  it('ends a stream with the reason', () => {
    const res = new FakeResponse();
    const sut = new SseSink(res as never, 'viewer', 4096);
    sut.closeWith('the token was revoked');
    expect(res.endedWith).toBe('event: closed\ndata: {"reason":"the token was revoked"}\n\n');
    expect(sut.event(event(1))).toBe(false);
  });

  it('gives viewers no command output', () => {
    const res = new FakeResponse();
    const sut = new SseSink(res as never, 'viewer', 4096);
    expect(sut.event({ ...event(1), kind: 'command', type: 'command-output', data: { chunk: 'x' } })).toBe(true);
    expect(res.written).toBe('');
  });
});
