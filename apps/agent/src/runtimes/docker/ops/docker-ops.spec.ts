import { Readable } from 'node:stream';
import { DockerCreateParamsSchema } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../executor/handler.js';
import { silentLogger } from '../../../lib/logger.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { containerCreateOp, createOptions } from './container-create.op.js';
import { progressError, splitReference, uploadUrl } from './image-import.op.js';
import { CappedOutput } from './op-support.js';
import { descendants, parentPid } from './process-tree.js';

describe('createOptions', () => {
  it('maps ports, mounts, limits and labels to the create request, always marking the container managed', () => {
    const params = DockerCreateParamsSchema.parse({
      runtime: 'docker',
      image: 'busybox',
      name: 'web',
      command: ['sleep', '60'],
      env: { A: '1' },
      labels: { team: 'x' },
      ports: [
        { containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' },
        { containerPort: 53, protocol: 'udp' },
      ],
      mounts: [
        { source: 'data', target: '/data' },
        { source: '/srv', target: '/srv', readOnly: true },
      ],
      network: 'n1',
      restartPolicy: 'unless-stopped',
      memoryBytes: 64 * 1024 * 1024,
      cpus: 0.5,
    });
    expect(createOptions(params)).toEqual({
      name: 'web',
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      Env: ['A=1'],
      Labels: { team: 'x', 'corral.managed': 'true' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      HostConfig: {
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostPort: '' }] },
        Mounts: [
          { Type: 'volume', Source: 'data', Target: '/data', ReadOnly: false },
          { Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true },
        ],
        NetworkMode: 'n1',
        RestartPolicy: { Name: 'unless-stopped' },
        Memory: 64 * 1024 * 1024,
        NanoCpus: 500_000_000,
      },
    });
  });

  it('leaves name, command, network and limits to Docker when not given', () => {
    const opts = createOptions(DockerCreateParamsSchema.parse({ runtime: 'docker', image: 'busybox' }));
    expect(opts).not.toHaveProperty('name');
    expect(opts).not.toHaveProperty('Cmd');
    expect(opts.HostConfig).toEqual({ PortBindings: {}, Mounts: [], RestartPolicy: { Name: '' } });
  });
});

describe('containerCreateOp', () => {
  // A Docker API that records its calls; the container it makes gets the name Docker would make up.
  function fakeOps(calls: string[], image: { present: boolean } = { present: true }): DockerOps {
    const container = {
      id: 'c0ffee',
      inspect: async () => {
        calls.push('inspect');
        return { Name: '/eager_turing' };
      },
      start: async () => {
        calls.push('start');
      },
    };
    const api = {
      createContainer: async () => {
        calls.push('create');
        return container;
      },
      getImage: (ref: string) => ({
        inspect: async () => {
          calls.push(`image ${ref}`);
          if (!image.present) throw Object.assign(new Error('No such image'), { statusCode: 404 });
          return { Id: 'sha256:feed', RepoDigests: [] };
        },
      }),
    };
    const waits = {
      createImage: async (auth: unknown, opts: { fromImage: string; tag: string }) => {
        calls.push(`pull ${opts.fromImage}:${opts.tag}${auth ? ' with auth' : ''}`);
        image.present = true;
        return Readable.from([
          '{"status":"Downloading","id":"aaaaaaaaaaaa","progressDetail":{"current":5,"total":10}}\n',
          '{"status":"Pull complete","id":"aaaaaaaaaaaa"}\n{"status":"Digest: sha256:abc"}\n',
        ]);
      },
    };
    return { api, waits } as unknown as DockerOps;
  }

  const ctx = (params: Record<string, unknown>) =>
    ({
      params: DockerCreateParamsSchema.parse({ runtime: 'docker', image: 'busybox', ...params }),
      logger: silentLogger,
      signal: new AbortController().signal,
      output: (_stream: string, chunk: string) => outputs.push(chunk),
    }) as unknown as CommandContext<'container.create'>;
  const outputs: string[] = [];

  it('creates and starts without asking Docker for the name it was given', async () => {
    const calls: string[] = [];
    const sut = containerCreateOp(fakeOps(calls));
    expect(await sut(ctx({ name: 'web' }))).toEqual({ id: 'c0ffee', name: 'web' });
    expect(calls).toEqual(['image busybox', 'create', 'start']);
  });

  it('pulls an image the host lacks first (pull: missing), with the credential, progress in the output', async () => {
    const calls: string[] = [];
    outputs.length = 0;
    const sut = containerCreateOp(fakeOps(calls, { present: false }));
    const auth = { serveraddress: 'docker.io', username: 'u', password: 'p' };
    // What it pulled is in the result, for the controller to record the image as pulled.
    expect(await sut(ctx({ name: 'web', registryAuth: auth }))).toEqual({
      id: 'c0ffee',
      name: 'web',
      pulled: { imageId: 'sha256:feed', reference: 'busybox', digest: 'sha256:abc', registry: 'docker.io' },
    });
    expect(calls).toEqual([
      'image busybox',
      'pull busybox:latest with auth',
      'image busybox:latest',
      'create',
      'start',
    ]);
    expect(outputs.join('')).toContain('{"progress":"pull","status":"pulled","current":10,"total":10}');
  });

  it('pulls every time with pull: always, and never asks with pull: never', async () => {
    const always: string[] = [];
    await containerCreateOp(fakeOps(always))(ctx({ name: 'web', pull: 'always' }));
    expect(always.slice(0, 1)).toEqual(['pull busybox:latest']);
    const never: string[] = [];
    const made = await containerCreateOp(fakeOps(never, { present: false }))(ctx({ name: 'web', pull: 'never' }));
    expect(never).toEqual(['create', 'start']);
    expect(made).not.toHaveProperty('pulled');
  });

  it('asks Docker for the name it made up when none was given', async () => {
    const calls: string[] = [];
    const sut = containerCreateOp(fakeOps(calls));
    expect(await sut(ctx({ start: false }))).toEqual({ id: 'c0ffee', name: 'eager_turing' });
    expect(calls).toEqual(['image busybox', 'create', 'inspect']);
  });
});

describe('image import helpers', () => {
  it('derives the upload URL from the controller socket URL', () => {
    expect(uploadUrl('ws://10.0.0.1:7070/agent', 'u 1')).toBe('http://10.0.0.1:7070/api/v1/uploads/u%201');
    expect(uploadUrl('wss://corral.example/agent?x=1', 'abc')).toBe('https://corral.example/api/v1/uploads/abc');
  });

  it('splits references, registry ports included', () => {
    expect(splitReference('corral/app:1.0')).toEqual({ repo: 'corral/app', tag: '1.0' });
    expect(splitReference('registry:5000/app')).toEqual({ repo: 'registry:5000/app', tag: 'latest' });
    expect(splitReference('registry:5000/app:v2')).toEqual({ repo: 'registry:5000/app', tag: 'v2' });
  });

  it('finds the error in a progress stream', () => {
    expect(progressError('{"status":"sha256:1"}\n')).toBeNull();
    expect(
      progressError('{"status":"x"}\n{"errorDetail":{"message":"archive/tar: invalid tar header"},"error":"e"}\n'),
    ).toBe('archive/tar: invalid tar header');
  });
});

describe('CappedOutput', () => {
  it('keeps up to the cap, marks truncation, and passes on what it keeps', () => {
    const seen: string[] = [];
    const sut = new CappedOutput(5, (t) => seen.push(t));
    sut.push(Buffer.from('abc'));
    sut.push(Buffer.from('defg'));
    sut.push(Buffer.from('h'));
    expect(sut.text()).toBe('abcde');
    expect(sut.truncated).toBe(true);
    expect(seen).toEqual(['abc', 'de']);
  });

  it('does not split a multi-byte character across chunks', () => {
    const sut = new CappedOutput(100);
    const bytes = Buffer.from('é');
    sut.push(bytes.subarray(0, 1));
    sut.push(bytes.subarray(1));
    expect(sut.text()).toBe('é');
    expect(sut.truncated).toBe(false);
  });
});

describe('process tree', () => {
  it('reads the parent pid, even when the command name holds spaces and parentheses', () => {
    expect(parentPid('4242 (sleep) S 4200 4242 4200 0 -1 4194560')).toBe(4200);
    expect(parentPid('77 (my (odd) name) R 1 77 77 0')).toBe(1);
    expect(parentPid('garbage')).toBeNull();
  });

  it('lists a process and all its descendants, parents first', () => {
    const parents = new Map([
      [10, 1],
      [11, 10],
      [12, 11],
      [13, 10],
      [20, 1],
    ]);
    expect(descendants(10, parents)).toEqual([10, 11, 13, 12]);
    expect(descendants(99, parents)).toEqual([99]);
  });
});
