import { COMMAND_OPS, MASKED_VALUE, opSpec } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { eventForView, redactForViewer, sensitiveOf, sseFrameFor, viewOf } from './command-redaction.js';
import type { CorralEvent } from './event-bus.js';

const exec = {
  id: 'c1',
  url: '/api/v1/commands/c1',
  op: 'container.exec',
  params: { command: ['mysql', '-pX'], env: { DB_PASSWORD: 'pw', A: '1' }, maxOutputBytes: 10 },
  result: { stdout: 'secret', stderr: '', exitCode: 0 },
  output: 'secret',
};
const start = {
  id: 'c2',
  url: '/api/v1/commands/c2',
  op: 'container.start',
  params: {},
  result: { ok: 1 },
  output: '',
};

const event = (over: Partial<CorralEvent>): CorralEvent => ({
  id: 1,
  type: 'command-succeeded',
  kind: 'command',
  hostId: 'h',
  at: '2026-01-01T00:00:00.000Z',
  data: exec,
  ...over,
});

describe('command redaction', () => {
  it('gives viewers the viewer view, operators and admins the full one', () => {
    expect(viewOf({ kind: 'token', id: 't', name: 'v', role: 'viewer' })).toBe('viewer');
    expect(viewOf({ kind: 'token', id: 't', name: 'o', role: 'operator' })).toBe('full');
    expect(viewOf(undefined)).toBe('viewer');
  });

  it("reads what to keep from viewers from each op's registry entry, and keeps an unknown op's whole", () => {
    expect(sensitiveOf('container.create')).toEqual({ params: ['env', 'registryAuth'], output: false, result: false });
    expect(sensitiveOf('image.pull')).toEqual({ params: ['registryAuth'], output: false, result: false });
    expect(sensitiveOf('container.exec')).toEqual({ params: ['env', 'command'], output: true, result: true });
    expect(sensitiveOf('container.logs')).toMatchObject({ output: true, result: true });
    expect(sensitiveOf('container.start')).toEqual({ params: [], output: false, result: false });
    for (const op of COMMAND_OPS) expect(sensitiveOf(op)).toBe(opSpec(op).sensitive);
    expect(sensitiveOf('container.future')).toEqual({ params: ['env', 'command'], output: true, result: true });
    expect(sensitiveOf('toString')).toEqual({ params: ['env', 'command'], output: true, result: true });
    const future = redactForViewer({ ...exec, op: 'container.future' });
    expect(future).toMatchObject({ params: { maxOutputBytes: 10 }, result: null, output: '' });
  });

  it('leaves sensitive params, output and output-carrying results out of commands for viewers', () => {
    const sut = redactForViewer(exec);
    expect(sut).toEqual({
      id: 'c1',
      url: '/api/v1/commands/c1',
      op: 'container.exec',
      params: { maxOutputBytes: 10 },
      result: null,
      output: '',
      withheld: ['params.env', 'params.command', 'result', 'output'],
    });
    expect(redactForViewer(start)).toEqual(start);
  });

  it('finds commands in pages and placements', () => {
    const page = redactForViewer({ items: [exec, start], nextCursor: null }) as { items: unknown[] };
    expect(page.items[0]).toMatchObject({ withheld: expect.any(Array) });
    const placement = {
      placement: {
        id: 'p',
        url: '/api/v1/placements/p',
        request: { runtime: 'docker', spec: { image: 'b', env: { X: '1' } } },
        commands: [{ ...exec, op: 'container.create', params: { image: 'b', env: { X: '1' } } }],
      },
    };
    expect(JSON.stringify(redactForViewer(placement))).not.toContain('"X"');
  });

  it('masks secret-looking env values in command events for every view, and drops output for viewers', () => {
    const full = eventForView(event({}), 'full')!;
    expect((full.data as typeof exec).params.env).toEqual({ DB_PASSWORD: MASKED_VALUE, A: '1' });
    expect((full.data as typeof exec).params.command).toEqual(['mysql', '-pX']);
    const viewer = eventForView(event({}), 'viewer')!;
    expect((viewer.data as typeof exec).params).toEqual({ maxOutputBytes: 10 });
    const output = event({ type: 'command-output', data: { id: 'c1', chunk: 'x' } });
    expect(eventForView(output, 'viewer')).toBeNull();
    expect(eventForView(output, 'full')).toBe(output);
    const inventory = event({ kind: 'container', type: 'container-started', data: { env: { TOKEN: 'x' } } });
    expect(eventForView(inventory, 'viewer')).toBe(inventory);
  });

  it('makes one frame per event and view, whoever streams it', () => {
    const e = event({});
    expect(sseFrameFor(e, 'viewer')).toBe(sseFrameFor(e, 'viewer'));
    expect(sseFrameFor(e, 'full')).not.toContain('"pw"');
    expect(sseFrameFor(event({ type: 'command-output' }), 'viewer')).toBeNull();
  });
});
