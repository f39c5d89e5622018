import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppLogger, JsonLogger, nestLogLevels, resolveLogFormat, wantsColours } from './app.logger.js';
import { currentRequestId, requestIds } from './request-context.js';

describe('AppLogger', () => {
  let written: string[];

  beforeEach(() => {
    written = [];
    const keep = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(keep);
    vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("keeps Nest's route mapping out of the info log", () => {
    const sut = new AppLogger('info', false);
    sut.log('Mapped {/api/v1/hosts, GET} route', 'RouterExplorer');
    sut.log('HostsController {/api/v1/hosts}:', 'RoutesResolver');
    sut.log('AppModule dependencies initialized', 'InstanceLoader');
    sut.log('AgentGateway subscribed to the "hello" message', 'WebSocketsController');
    expect(written).toEqual([]);
  });

  it('shows the route mapping at debug, as debug lines', () => {
    const sut = new AppLogger('debug', false);
    sut.log('Mapped {/api/v1/hosts, GET} route', 'RouterExplorer');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/ DEBUG \[RouterExplorer\] Mapped \{\/api\/v1\/hosts, GET\} route/);
  });

  it("logs the controller's own lines at info, without colours when asked for none", () => {
    const sut = new AppLogger('info', false);
    sut.log('API on http://127.0.0.1:7070/api/v1', 'Corral');
    sut.error('something broke', undefined, 'Corral');
    expect(written.join('')).toContain('LOG [Corral] API on http://127.0.0.1:7070/api/v1');
    expect(written.join('')).toContain('ERROR [Corral] something broke');
    expect(written.join('')).not.toContain('\u001b');
  });

  it('colours its lines when told to (a terminal)', () => {
    const sut = new AppLogger('info', true);
    sut.log('API on http://127.0.0.1:7070/api/v1', 'Corral');
    expect(written.join('')).toContain('\u001b[');
  });

  it('drops what is below CORRAL_LOG_LEVEL', () => {
    const sut = new AppLogger('warn', false);
    sut.log('routine', 'Corral');
    sut.debug('detail', 'Corral');
    sut.warn('careful', 'Corral');
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('careful');
  });
});

describe('nestLogLevels', () => {
  it('maps each CORRAL_LOG_LEVEL to the Nest levels at and above it', () => {
    expect(nestLogLevels('error')).toEqual(['fatal', 'error']);
    expect(nestLogLevels('warn')).toEqual(['fatal', 'error', 'warn']);
    expect(nestLogLevels('info')).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(nestLogLevels('debug')).toEqual(['fatal', 'error', 'warn', 'log', 'debug']);
  });
});

describe('wantsColours', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: undefined };

  it('colours only when both stdout and stderr are terminals', () => {
    expect(wantsColours({}, { stdout: tty, stderr: tty })).toBe(true);
    expect(wantsColours({}, { stdout: pipe, stderr: tty })).toBe(false);
    expect(wantsColours({}, { stdout: tty, stderr: pipe })).toBe(false);
  });

  it('never colours with NO_COLOR set to anything but empty', () => {
    expect(wantsColours({ NO_COLOR: '1' }, { stdout: tty, stderr: tty })).toBe(false);
    expect(wantsColours({ NO_COLOR: '' }, { stdout: tty, stderr: tty })).toBe(true);
  });
});

describe('JsonLogger', () => {
  let lines: Record<string, unknown>[];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };

  beforeEach(() => {
    lines = [];
  });

  it('writes one JSON object a line with level, time, context and message', () => {
    const sut = new JsonLogger('info', destination);
    sut.log('API on http://127.0.0.1:7070/api/v1', 'Corral');
    sut.warn('careful', 'CommandDispatchService');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', context: 'Corral', msg: 'API on http://127.0.0.1:7070/api/v1' }),
      expect.objectContaining({ level: 'warn', context: 'CommandDispatchService', msg: 'careful' }),
    ]);
    expect(Number.isNaN(Date.parse(lines[0]!.time as string))).toBe(false);
  });

  it('names the replica on every line when CORRAL_REPLICA_ID is set', () => {
    new JsonLogger('info', destination, 'replica-a').log('up', 'Corral');
    new JsonLogger('info', destination).log('up', 'Corral');
    expect(lines[0]).toMatchObject({ replica: 'replica-a', msg: 'up' });
    expect(lines[1]).not.toHaveProperty('replica');
  });

  it("keeps Nest's route mapping at debug", () => {
    new JsonLogger('info', destination).log('Mapped {/api/v1/hosts, GET} route', 'RouterExplorer');
    expect(lines).toEqual([]);
    new JsonLogger('debug', destination).log('Mapped {/api/v1/hosts, GET} route', 'RouterExplorer');
    expect(lines).toEqual([expect.objectContaining({ level: 'debug', context: 'RouterExplorer' })]);
  });

  it('carries the fields of a structured line, secrets taken out', () => {
    const sut = new JsonLogger('debug', destination);
    sut.debug(
      {
        msg: 'sent image.pull',
        commandId: 'c1',
        hostId: 'h1',
        params: { registryAuth: { password: 'hunter2' }, env: { API_TOKEN: 't0ken' } },
        headers: { authorization: 'Bearer crl_api_zzz' },
      },
      'CommandDispatchService',
    );
    expect(lines[0]).toMatchObject({ msg: 'sent image.pull', commandId: 'c1', hostId: 'h1', level: 'debug' });
    expect(JSON.stringify(lines[0])).not.toMatch(/hunter2|t0ken|crl_api_zzz/);
  });

  it('gives each line only its own fields', () => {
    const sut = new JsonLogger('info', destination);
    sut.warn({ msg: 'first', commandId: 'c1', hostId: 'h1' }, 'CommandLifecycle');
    sut.log('second', 'Corral');
    expect(lines[1]).toEqual({
      level: 'info',
      time: expect.any(String),
      pid: process.pid,
      context: 'Corral',
      msg: 'second',
    });
  });

  it('keeps the stack of an error', () => {
    const sut = new JsonLogger('info', destination);
    sut.error('something broke', 'Error: x\n    at here', 'Corral');
    sut.error(new Error('thrown'), undefined, 'Corral');
    expect(lines[0]).toMatchObject({
      level: 'error',
      context: 'Corral',
      msg: 'something broke',
      stack: 'Error: x\n    at here',
    });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'thrown', err: { type: 'Error', message: 'thrown' } });
  });

  it('puts the request id on every line written while a request is served, and one line when it ends', () => {
    const sut = new JsonLogger('info', destination);
    const headers: Record<string, string> = {};
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200,
      writableFinished: true,
      setHeader: (name: string, value: string) => {
        headers[name] = value;
      },
    });
    const req = { method: 'GET', url: '/api/v1/events?token=s3cret', headers: { 'x-request-id': 'trace-7' } };
    const middleware = requestIds({ log: (m: unknown) => sut.log(m, 'Http') } as never);
    middleware(req as unknown as IncomingMessage, res as unknown as ServerResponse, () => {
      expect(currentRequestId()).toBe('trace-7');
      sut.log('inside', 'HostsController');
    });
    sut.log('outside', 'Corral');
    res.emit('close');
    expect(headers['X-Request-Id']).toBe('trace-7');
    expect(lines[0]).toMatchObject({ msg: 'inside', reqId: 'trace-7' });
    expect(lines[1]).not.toHaveProperty('reqId');
    expect(lines[2]).toMatchObject({ context: 'Http', reqId: 'trace-7', method: 'GET', status: 200 });
    expect(JSON.stringify(lines[2])).not.toContain('s3cret');
  });
});

describe('resolveLogFormat', () => {
  it('is text on a terminal and JSON otherwise, unless CORRAL_LOG_FORMAT says', () => {
    expect(resolveLogFormat('auto', { isTTY: true })).toBe('text');
    expect(resolveLogFormat('auto', { isTTY: undefined })).toBe('json');
    expect(resolveLogFormat('json', { isTTY: true })).toBe('json');
    expect(resolveLogFormat('text', {})).toBe('text');
  });
});

describe('AppLogger with structured lines', () => {
  it('writes the fields as key=value after the message, secrets taken out', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      new AppLogger('info', false).log(
        { msg: 'delivered', hostId: 'h1', password: 'pw', n: 2 },
        'CommandDispatchService',
      );
    } finally {
      vi.restoreAllMocks();
    }
    expect(written.join('')).toContain('[CommandDispatchService] delivered hostId=h1 password=[redacted] n=2');
  });
});
