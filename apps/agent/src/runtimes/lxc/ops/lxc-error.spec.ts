import { describe, expect, it } from 'vitest';
import { CommandFailure } from '../../../executor/handler.js';
import { CommandError } from '../../../lib/run.js';
import { lxcErrorText, toFailure } from './lxc-error.js';

// stderr of lxc-start 5.0.2 with -l ERROR -o <log>, followed by that log, for a missing bridge.
const START_FAILURE = [
  'lxc-start: c3: ../src/lxc/lxccontainer.c: wait_on_daemonized_start: 878 Received container state "ABORTING" instead of "RUNNING"',
  'lxc-start: c3: ../src/lxc/tools/lxc_start.c: main: 306 The container failed to start',
  'lxc-start: c3: ../src/lxc/tools/lxc_start.c: main: 309 To get more details, run the container in foreground mode',
  'lxc-start: c3: ../src/lxc/tools/lxc_start.c: main: 311 Additional information can be obtained by setting the --logfile and --logpriority options',
  'lxc-start c3 20261129070212.165 ERROR    network - ../src/lxc/network.c:netdev_configure_server_veth:711 - No such file or directory - Failed to attach "vethX" to bridge "nobr0"',
  'lxc-start c3 20261129070212.165 ERROR    start - ../src/lxc/start.c:lxc_spawn:1840 - Failed to create the network',
  'lxc-start c3 20261129070212.165 ERROR    lxc_start - ../src/lxc/tools/lxc_start.c:main:306 - The container failed to start',
  '',
].join('\n');

describe('lxcErrorText', () => {
  it('keeps the messages without source locations, once each, and drops the advice lines', () => {
    expect(lxcErrorText(START_FAILURE)).toBe(
      [
        'Received container state "ABORTING" instead of "RUNNING"',
        'The container failed to start',
        'No such file or directory - Failed to attach "vethX" to bridge "nobr0"',
        'Failed to create the network',
      ].join('; '),
    );
  });

  it('leaves text that is not in the lxc format as it is', () => {
    expect(lxcErrorText('c1 is not running\n')).toBe('c1 is not running');
  });
});

describe('toFailure', () => {
  it('maps an exit to engine_error with the tool message', () => {
    const error = new CommandError(
      'lxc-stop',
      ['-n', 'c1'],
      'exit',
      2,
      'lxc-stop: c1: ../src/lxc/tools/lxc_stop.c: main: 168 c1 is not running\n',
      'x',
    );
    const sut = toFailure(error, 'lxc-stop');
    expect(sut).toBeInstanceOf(CommandFailure);
    expect(sut).toMatchObject({
      code: 'engine_error',
      message: 'lxc-stop: lxc-stop failed (exit code 2): c1 is not running',
    });
  });

  it('maps a timeout to a retryable timeout and a missing tool to unsupported', () => {
    expect(toFailure(new CommandError('lxc-start', [], 'timeout', null, '', 'x'), 'lxc-start')).toMatchObject({
      code: 'timeout',
      retryable: true,
    });
    expect(toFailure(new CommandError('lxc-start', [], 'not-found', null, '', 'x'), 'lxc-start')).toMatchObject({
      code: 'unsupported',
    });
  });

  it('passes other errors through untouched', () => {
    const error = new TypeError('bug');
    expect(toFailure(error, 'lxc-start')).toBe(error);
  });
});
