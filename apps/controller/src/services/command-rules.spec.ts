import { COMMAND_OPS, RUNTIME_OPS } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { hostRuntimeRefusal, requestHash, runtimeRefusal, unknownParamKey } from './command-rules.js';

describe('runtimeRefusal', () => {
  const sut = runtimeRefusal;

  it('lets every op the runtime lists through', () => {
    for (const runtime of ['docker', 'lxc'] as const) {
      for (const op of RUNTIME_OPS[runtime]) expect(sut(runtime, op)).toBeNull();
    }
  });

  it('says what to use instead where the other runtime has the same idea', () => {
    expect(sut('lxc', 'container.pause')).toBe('lxc containers cannot pause; use freeze');
    expect(sut('lxc', 'container.unpause')).toBe('lxc containers cannot unpause; use unfreeze');
    expect(sut('docker', 'container.freeze')).toBe('docker containers cannot freeze; use pause');
    expect(sut('lxc', 'container.kill')).toBe('lxc containers cannot kill; use stop with {"kill": true}');
    expect(sut('docker', 'container.snapshot.create')).toBe('docker containers cannot snapshot create');
    expect(sut('lxc', 'container.logs')).toBe('lxc containers cannot logs');
  });
});

describe('hostRuntimeRefusal', () => {
  it('names the host and the reason the agent gave', () => {
    const runtimes = [
      { name: 'docker' as const, available: true, version: '24', reason: null },
      { name: 'lxc' as const, available: false, version: null, reason: 'lxc-ls not found' },
    ];
    expect(hostRuntimeRefusal('h1', runtimes, 'docker')).toBeNull();
    expect(hostRuntimeRefusal('h1', runtimes, 'lxc')).toBe('host h1 has no usable lxc runtime (lxc-ls not found)');
    expect(hostRuntimeRefusal('h1', [], 'docker')).toBe(
      'host h1 has no usable docker runtime (the agent did not report it)',
    );
  });
});

describe('unknownParamKey', () => {
  const sut = unknownParamKey;

  it('finds a key the op does not take', () => {
    expect(sut('container.stop', { timeoutSeconds: 1, kill: true })).toBeNull();
    expect(sut('container.stop', { timeoutSecond: 1 })).toBe('timeoutSecond');
    expect(sut('container.start', { force: true })).toBe('force');
  });

  it('judges container.create by the keys of the runtime asked for', () => {
    expect(sut('container.create', { runtime: 'docker', image: 'busybox', ports: [] })).toBeNull();
    expect(sut('container.create', { runtime: 'lxc', name: 'c1', template: 'busybox' })).toBeNull();
    expect(sut('container.create', { runtime: 'lxc', name: 'c1', image: 'busybox' })).toBe('image');
    expect(sut('container.create', { runtime: 'docker', image: 'busybox', template: 'x' })).toBe('template');
  });

  it('knows every op', () => {
    for (const op of COMMAND_OPS) expect(sut(op, {})).toBeNull();
  });
});

describe('requestHash', () => {
  it('is the same for the same request whatever the key order, and differs otherwise', () => {
    const a = requestHash({ op: 'container.stop', params: { timeoutSeconds: 1, kill: false } });
    const b = requestHash({ params: { kill: false, timeoutSeconds: 1 }, op: 'container.stop' });
    const c = requestHash({ op: 'container.stop', params: { timeoutSeconds: 2, kill: false } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(requestHash({ list: [1, 2] })).not.toBe(requestHash({ list: [2, 1] }));
  });
});
