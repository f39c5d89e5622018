import { type AgentMessage, decodeStreamData, encodeStreamData, STREAM_STDIN_WINDOW } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../lib/logger.js';
import { StreamManager } from './stream-manager.js';
import type { StreamExit, StreamOutput, StreamProcess } from './stream-process.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const id = '3f1c2a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f';
const target = { kind: 'container' as const, runtime: 'docker' as const, id: 'c1', lxcPath: null };

// A process the test drives: what it was told, and output and exit on demand.
function fakeProcess() {
  let exit!: (e: StreamExit) => void;
  const fake = {
    output: null as StreamOutput | null,
    written: [] as string[],
    paused: false,
    killed: false,
    eofs: 0,
    sizes: [] as [number, number][],
    exit: (e: StreamExit) => exit(e),
  };
  const process: StreamProcess = {
    write: async (chunk) => void fake.written.push(chunk.toString()),
    eof: () => void fake.eofs++,
    resize: (c, r) => void fake.sizes.push([c, r]),
    pause: () => {
      fake.paused = true;
    },
    resume: () => {
      fake.paused = false;
    },
    kill: async () => {
      fake.killed = true;
    },
    exited: new Promise((resolve) => {
      exit = resolve;
    }),
  };
  return { fake, process };
}

function setup(window = 10) {
  const texts: AgentMessage[] = [];
  const data: { channel: string; text: string }[] = [];
  const { fake, process } = fakeProcess();
  const sut = new StreamManager({
    exec: {
      docker: async (_t, _p, output) => {
        fake.output = output;
        return process;
      },
    },
    logs: {},
    link: {
      sendText: (m) => texts.push(m) > 0,
      sendBinary: (frame) => {
        const d = decodeStreamData(frame, ['stdout', 'stderr']);
        if (d.ok) data.push({ channel: d.channel, text: Buffer.from(d.payload).toString() });
        return true;
      },
    },
    logger: quiet,
  });
  sut.handle({ type: 'stream.exec.open', streamId: id, target, params: execParams, window });
  return { sut, fake, texts, data };
}

const execParams = { command: ['sh'], tty: true, stdin: true, env: {} };
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('StreamManager', () => {
  it('announces what it can stream', () => {
    const { sut } = setup();
    expect(sut.capabilities()).toEqual(['stream.exec.docker']);
  });

  it('sends output only as far as the credit goes, pauses the process, and goes on when credit comes', async () => {
    const { sut, fake, texts, data } = setup(10);
    await tick();
    expect(texts[0]).toMatchObject({ type: 'stream.opened', stdinWindow: STREAM_STDIN_WINDOW });
    fake.output!('stdout', Buffer.from('0123456789abcdef'));
    expect(data.map((d) => d.text).join('')).toBe('0123456789');
    expect(fake.paused).toBe(true);
    sut.handle({ type: 'stream.credit', streamId: id, bytes: 100 });
    expect(data.map((d) => d.text).join('')).toBe('0123456789abcdef');
    expect(fake.paused).toBe(false);
  });

  it('sends the exit only after the output that came before it', async () => {
    const { sut, fake, texts, data } = setup(4);
    await tick();
    fake.output!('stdout', Buffer.from('12345678'));
    fake.exit({ exitCode: 3, signal: null });
    await new Promise((r) => setTimeout(r, 30));
    expect(texts.some((m) => m.type === 'stream.exit')).toBe(false);
    sut.handle({ type: 'stream.credit', streamId: id, bytes: 4 });
    await new Promise((r) => setTimeout(r, 30));
    expect(data.map((d) => d.text).join('')).toBe('12345678');
    expect(texts.at(-1)).toMatchObject({ type: 'stream.exit', exitCode: 3 });
    expect(sut.size).toBe(0);
  });

  it('writes stdin within its credit and gives the credit back; more than granted ends the stream', async () => {
    const { sut, fake, texts } = setup();
    await tick();
    sut.data(encodeStreamData(id, 'stdin', Buffer.from('ls\n')));
    await new Promise((r) => setTimeout(r, 40));
    expect(fake.written).toEqual(['ls\n']);
    expect(texts.at(-1)).toMatchObject({ type: 'stream.credit', bytes: 3 });
    for (let i = 0; i < 5; i++) sut.data(encodeStreamData(id, 'stdin', Buffer.alloc(64 * 1024)));
    expect(texts.at(-1)).toMatchObject({ type: 'stream.error', code: 'flow_control' });
    expect(fake.killed).toBe(true);
  });

  it('passes resizes and EOF, and kills the process on close and on disconnect', async () => {
    const { sut, fake } = setup();
    await tick();
    sut.handle({ type: 'stream.resize', streamId: id, cols: 100, rows: 30 });
    sut.handle({ type: 'stream.eof', streamId: id });
    expect(fake.sizes).toEqual([[100, 30]]);
    expect(fake.eofs).toBe(1);
    sut.closeAll('gone');
    expect(fake.killed).toBe(true);
    expect(sut.size).toBe(0);
  });

  it('answers an open for a runtime it cannot stream with an error', () => {
    const { sut, texts } = setup();
    sut.handle({
      type: 'stream.logs.open',
      streamId: '4f1c2a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f',
      target,
      params: { follow: true, tail: null, timestamps: false },
      window: 10,
    });
    expect(texts.at(-1)).toMatchObject({ type: 'stream.error', code: 'unsupported' });
  });
});
