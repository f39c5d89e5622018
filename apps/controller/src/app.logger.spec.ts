import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppLogger, nestLogLevels, wantsColours } from './app.logger.js';

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
