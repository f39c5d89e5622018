import { describe, expect, it } from 'vitest';
import { parseAgentMessage, parseControllerMessage } from './parse.js';
import {
  ClientStreamMessageSchema,
  decodeClientData,
  decodeStreamData,
  encodeClientData,
  encodeStreamData,
  STREAM_CHUNK_BYTES,
  STREAM_DEFAULT_WINDOW,
} from './streams.js';

const id = '3f1c2a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f';
const target = { kind: 'container', runtime: 'docker', id: 'abc', lxcPath: null };

describe('stream data frames', () => {
  it('round-trips the stream id, channel and bytes', () => {
    const sut = decodeStreamData(encodeStreamData(id, 'stderr', new Uint8Array([1, 2, 3])), ['stdout', 'stderr']);
    expect(sut).toMatchObject({ ok: true, streamId: id, channel: 'stderr', payload: new Uint8Array([1, 2, 3]) });
    // The client's frame is a view of the same bytes: [channel][payload].
    expect(sut.ok && decodeClientData(sut.clientFrame, ['stderr'])).toEqual({
      ok: true,
      channel: 'stderr',
      payload: new Uint8Array([1, 2, 3]),
    });
  });

  it('refuses a channel the sender may not use, naming it', () => {
    const sut = decodeStreamData(encodeStreamData(id, 'stdin', new Uint8Array([1])), ['stdout', 'stderr']);
    expect(sut.ok).toBe(false);
    if (!sut.ok) expect(sut.error.message).toContain('channel 0');
  });

  it('refuses short frames, unknown kinds and oversized payloads', () => {
    expect(decodeStreamData(new Uint8Array(18), ['stdout']).ok).toBe(false);
    const frame = encodeStreamData(id, 'stdout', new Uint8Array([9]));
    frame[0] = 7;
    const sut = decodeStreamData(frame, ['stdout']);
    expect(sut.ok === false && sut.error.message).toContain('unknown kind 7');
    expect(() => encodeStreamData(id, 'stdout', new Uint8Array(STREAM_CHUNK_BYTES + 1))).toThrow(/1 to 65536/);
    expect(() => encodeStreamData('nope', 'stdout', new Uint8Array(1))).toThrow(/UUID/);
  });

  it('client frames carry a channel byte', () => {
    const sut = decodeClientData(encodeClientData('stdin', new Uint8Array([65])), ['stdin']);
    expect(sut).toEqual({ ok: true, channel: 'stdin', payload: new Uint8Array([65]) });
    expect(decodeClientData(encodeClientData('stdout', new Uint8Array([65])), ['stdin']).ok).toBe(false);
    expect(decodeClientData(new Uint8Array([0]), ['stdin']).ok).toBe(false);
  });
});

describe('stream messages', () => {
  it('are part of both unions and validated like every frame', () => {
    const open = {
      type: 'stream.exec.open',
      streamId: id,
      target,
      params: { command: ['sh'], tty: true },
      window: 1024,
    };
    const sut = parseControllerMessage(JSON.stringify(open));
    expect(sut.ok && sut.message.type === 'stream.exec.open' && sut.message.params.stdin).toBe(false);
    const bad = parseControllerMessage(JSON.stringify({ ...open, params: { command: [] } }));
    expect(bad.ok === false && bad.error.field).toBe('params.command');
    const exit = parseAgentMessage(JSON.stringify({ type: 'stream.exit', streamId: id, exitCode: 3 }));
    expect(exit.ok && exit.message).toMatchObject({ exitCode: 3, signal: null });
    const credit = parseAgentMessage(JSON.stringify({ type: 'stream.credit', streamId: id, bytes: 0 }));
    expect(credit.ok === false && credit.error.field).toBe('bytes');
  });

  it('a client start gets the default window', () => {
    const sut = ClientStreamMessageSchema.parse({ type: 'logs.start' });
    expect(sut).toMatchObject({ type: 'logs.start', follow: true, tail: null, window: STREAM_DEFAULT_WINDOW });
  });
});
