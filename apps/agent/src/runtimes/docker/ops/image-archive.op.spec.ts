import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { imageLoadOp, imageSaveOp, loadedImages, progressLine } from './image-archive.op.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

function ctx<Op extends 'image.load' | 'image.copy' | 'image.save'>(
  op: Op,
  params: Record<string, unknown>,
  output: string[],
): CommandContext<Op> {
  return {
    id: 'c1',
    op,
    target: op === 'image.save' ? { kind: 'image', id: 'sha256:src' } : { kind: 'host' },
    params,
    deadline: new Date(Date.now() + 60_000),
    signal: new AbortController().signal,
    output: (_stream: string, chunk: string) => output.push(chunk),
    logger: silent,
  } as unknown as CommandContext<Op>;
}

describe('loadedImages', () => {
  it('reads tags and untagged ids from the docker load answer', () => {
    const text = [
      '{"stream":"Loaded image: app:1\\n"}',
      '{"stream":"Loaded image ID: sha256:abc\\n"}',
      'not json',
      '{"status":"Loading layer","progressDetail":{"current":1,"total":2}}',
    ].join('\n');
    expect(loadedImages(text)).toEqual({ tags: ['app:1'], ids: ['sha256:abc'] });
  });
});

describe('imageLoadOp', () => {
  it('pipes the downloaded archive into docker load and reports its images and bytes', async () => {
    const received: Buffer[] = [];
    const docker = {
      waits: {
        loadImage: async (stream: Readable) => {
          for await (const chunk of stream) received.push(chunk as Buffer);
          return Readable.from(['{"stream":"Loaded image: app:1\\n"}\n']);
        },
      },
      api: { getImage: (ref: string) => ({ inspect: async () => ({ Id: `sha256:id-of-${ref}` }) }) },
    } as unknown as DockerOps;
    const urls: string[] = [];
    const sut = imageLoadOp(docker, {
      controllerUrl: 'ws://ctl:8080/agent',
      fetch: async (url) => {
        urls.push(url);
        return new Response(Readable.toWeb(Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(24, 2)])) as never, {
          headers: { 'content-length': '1024' },
        });
      },
    });
    const output: string[] = [];
    const result = await sut(ctx('image.load', { uploadId: 'u1' }, output));
    expect(urls).toEqual(['http://ctl:8080/api/v1/uploads/u1']);
    expect(Buffer.concat(received).length).toBe(1024);
    expect(result).toEqual({ id: 'sha256:id-of-app:1', tags: ['app:1'], images: ['sha256:id-of-app:1'], bytes: 1024 });
    expect(output.at(-1)).toBe(progressLine('load', 'loaded', 1024, 1024));
  });

  it('reads the Node stream the agent fetch hands over, when it does', async () => {
    let loaded = 0;
    const docker = {
      waits: {
        loadImage: async (stream: Readable) => {
          for await (const chunk of stream) loaded += (chunk as Buffer).length;
          return Readable.from(['{"stream":"Loaded image ID: sha256:x\\n"}\n']);
        },
      },
      api: {},
    } as unknown as DockerOps;
    let asked = false;
    const sut = imageLoadOp(docker, {
      controllerUrl: 'ws://ctl/agent',
      fetch: async (_url, init) => {
        asked = init.nodeBody === true;
        return Object.assign(new Response(null), { nodeBody: Readable.from([Buffer.alloc(300)]) });
      },
    });
    const result = await sut(ctx('image.load', { uploadId: 'u2' }, []));
    expect(asked).toBe(true);
    expect(loaded).toBe(300);
    expect(result).toMatchObject({ id: 'sha256:x', images: ['sha256:x'], tags: [], bytes: 300 });
  });

  it('fails with the controller message when the transfer cannot be read', async () => {
    const sut = imageLoadOp({} as DockerOps, {
      controllerUrl: 'ws://ctl:8080/agent',
      fetch: async () =>
        new Response(JSON.stringify({ error: 'bad_gateway', message: 'saving the image on its host failed: gone' }), {
          status: 502,
        }),
    });
    await expect(
      sut(ctx('image.copy', { uploadId: 't1', fromHostId: 'x', fromImage: 'y', sizeBytes: null }, [])),
    ).rejects.toThrow(/HTTP 502: saving the image on its host failed: gone/);
  });
});

describe('imageSaveOp', () => {
  it('PUTs the docker save stream of the image, by its tags, to the transfer', async () => {
    const archive = new PassThrough();
    const asked: unknown[] = [];
    const docker = {
      api: { getImage: (id: string) => ({ inspect: async () => ({ Id: id, RepoTags: ['app:1', 'app:latest'] }) }) },
      waits: {
        getImages: async (opts: { names: string[] }) => {
          asked.push(opts.names);
          return archive;
        },
      },
    } as unknown as DockerOps;
    let sent = 0;
    let method = '';
    const sut = imageSaveOp(docker, {
      controllerUrl: 'wss://ctl/agent',
      fetch: async (url, init) => {
        method = `${init.method} ${url}`;
        for await (const chunk of init.body as Readable) sent += (chunk as Buffer).length;
        return new Response(null, { status: 204 });
      },
    });
    archive.end(Buffer.alloc(4096));
    const result = await sut(ctx('image.save', { transferId: 't9' }, []));
    expect(method).toBe('PUT https://ctl/api/v1/uploads/t9');
    // By its tags, so that the archive carries them.
    expect(asked).toEqual([['app:1', 'app:latest']]);
    expect(sent).toBe(4096);
    expect(result).toEqual({ id: 'sha256:src', bytes: 4096 });
  });
});
