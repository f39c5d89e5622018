import { describe, expect, it } from 'vitest';
import type { ImageOriginRow } from '../repositories/image-origin.repository.js';
import { type FinishedImageCommand, originKindOf, originsOfCommand } from './image-origin.mapper.js';

const H1 = '00000000-0000-4000-8000-000000000001';
const H2 = '00000000-0000-4000-8000-000000000002';
const AT = new Date('2026-12-06T09:00:00Z');

const command = (
  op: string,
  params: unknown,
  result: unknown,
  target: unknown = { kind: 'host' },
): FinishedImageCommand => ({
  id: '00000000-0000-4000-8000-0000000000c1',
  op,
  hostId: H2,
  target,
  params,
  result,
  requestedBy: 'token:ops (t1)',
  finishedAt: AT,
});

describe('image origins of commands', () => {
  it('come from the op registry: image.pull maps to pulled', () => {
    expect(originKindOf('image.load')).toBe('loaded');
    expect(originKindOf('image.copy')).toBe('copied');
    expect(originKindOf('container.commit')).toBe('committed');
    expect(originKindOf('image.import')).toBe('imported');
    expect(originKindOf('image.pull')).toBe('pulled');
    expect(originKindOf('container.create')).toBe('pulled');
    expect(originKindOf('image.tag')).toBeNull();
    expect(originKindOf('container.start')).toBeNull();
  });

  it('records a pull from its result { imageId, reference, digest, registry }', () => {
    const [sut] = originsOfCommand(
      command(
        'image.pull',
        { reference: '10.0.0.1:5000/app:1' },
        { imageId: 'sha256:aaa', reference: '10.0.0.1:5000/app:1', digest: 'sha256:ddd', registry: '10.0.0.1:5000' },
      ),
    );
    expect(sut).toMatchObject({
      hostId: H2,
      engineId: 'sha256:aaa',
      kind: 'pulled',
      registry: '10.0.0.1:5000',
      reference: '10.0.0.1:5000/app:1',
      digest: 'sha256:ddd',
      requestedBy: 'token:ops (t1)',
      recordedAt: AT,
    });
  });

  it('takes the Docker id from `id` when the controller put the Corral id in imageId', () => {
    const [sut] = originsOfCommand(
      command('image.pull', {}, { id: 'sha256:bbb', imageId: '00000000-0000-4000-8000-0000000000ff', digest: null }),
    );
    expect(sut?.engineId).toBe('sha256:bbb');
    expect(sut?.digest).toBeNull();
  });

  it('records every image of a load, with its upload', () => {
    const sut = originsOfCommand(
      command('image.load', { uploadId: 'u1' }, { id: 'sha256:a', images: ['sha256:a', 'sha256:b'], tags: [] }),
    );
    expect(sut.map((o) => [o.engineId, o.kind, o.uploadId])).toEqual([
      ['sha256:a', 'loaded', 'u1'],
      ['sha256:b', 'loaded', 'u1'],
    ]);
  });

  it("keeps a copy traceable to its source's registry digest", () => {
    const source: ImageOriginRow = {
      hostId: H1,
      engineId: 'sha256:a',
      kind: 'pulled',
      registry: 'r:5000',
      reference: 'r:5000/app:1',
      digest: 'sha256:ddd',
      fromHostId: null,
      fromHostname: null,
      fromImage: null,
      uploadId: null,
      container: null,
      commandId: null,
      requestedBy: 'token:ci (t2)',
      recordedAt: AT,
      source: null,
    };
    const [sut] = originsOfCommand(
      command(
        'image.copy',
        { uploadId: 't', fromHostId: H1, fromImage: 'sha256:a', sizeBytes: 1 },
        { id: 'sha256:a', images: ['sha256:a'] },
      ),
      { hostname: 'h1', origin: source },
    );
    expect(sut).toMatchObject({
      kind: 'copied',
      engineId: 'sha256:a',
      fromHostId: H1,
      fromHostname: 'h1',
      fromImage: 'sha256:a',
      digest: 'sha256:ddd',
      registry: 'r:5000',
      source: { kind: 'pulled', digest: 'sha256:ddd', hostId: H1 },
    });
  });

  it('records the container a commit came from', () => {
    const [sut] = originsOfCommand(
      command(
        'container.commit',
        { reference: 'snap:1' },
        { id: 'sha256:c' },
        { kind: 'container', runtime: 'docker', id: 'c0ffee' },
      ),
    );
    expect(sut).toMatchObject({ kind: 'committed', container: 'c0ffee', reference: 'snap:1', engineId: 'sha256:c' });
  });

  it('records the image a create pulled from its result `pulled`, and nothing for a create that pulled none', () => {
    const pulled = { imageId: 'sha256:eee', reference: 'r:5000/app:2', digest: 'sha256:fff', registry: 'r:5000' };
    const [sut, ...more] = originsOfCommand(
      command('container.create', { runtime: 'docker', image: 'r:5000/app:2' }, { id: 'c0ffee', name: 'web', pulled }),
    );
    expect(more).toEqual([]);
    expect(sut).toMatchObject({
      hostId: H2,
      engineId: 'sha256:eee',
      kind: 'pulled',
      registry: 'r:5000',
      reference: 'r:5000/app:2',
      digest: 'sha256:fff',
      requestedBy: 'token:ops (t1)',
      recordedAt: AT,
    });
    // The container's id is no image id: without `pulled` nothing is recorded.
    expect(
      originsOfCommand(command('container.create', { image: 'x:1' }, { id: 'sha256:c0ffee', name: 'web' })),
    ).toEqual([]);
  });

  it('records nothing for ops that make no image', () => {
    expect(originsOfCommand(command('image.tag', { reference: 'x:1' }, { id: 'sha256:a' }))).toEqual([]);
  });
});
