import { describe, expect, it } from 'vitest';
import { PullProgress, pullErrorText, pullFailure, pullTarget } from './image-pull.op.js';

describe('pullTarget', () => {
  it('splits name, tag and registry; docker.io when the reference names none', () => {
    expect(pullTarget('busybox')).toMatchObject({ fromImage: 'busybox', tag: 'latest', registry: 'docker.io' });
    expect(pullTarget('10.0.0.5:5000/team/app:1.2')).toMatchObject({
      fromImage: '10.0.0.5:5000/team/app',
      tag: '1.2',
      local: '10.0.0.5:5000/team/app:1.2',
      registry: '10.0.0.5:5000',
    });
  });

  it('pulls a digest as the tag and drops a tag beside it', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(pullTarget(`reg.local/app:1@${digest}`)).toMatchObject({
      fromImage: 'reg.local/app',
      tag: digest,
      local: `reg.local/app@${digest}`,
      name: 'reg.local/app',
    });
  });
});

describe('PullProgress', () => {
  it('sums layer bytes, writes a layer line per phase and the total at most every interval', () => {
    const sut = new PullProgress(500);
    expect(sut.add({ status: 'Pulling from corral/pullme', id: '1' }, 0)).toEqual([]);
    const first = sut.add(
      { status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 10, total: 100 } },
      0,
    );
    expect(first).toEqual([
      { progress: 'pull', layer: 'aaaaaaaaaaaa', status: 'Downloading', current: 10, total: 100 },
      { progress: 'pull', status: 'pulling', current: 10, total: 100 },
    ]);
    // Same phase, within the interval: nothing new.
    expect(
      sut.add({ status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 50, total: 100 } }, 100),
    ).toEqual([]);
    sut.add({ status: 'Downloading', id: 'bbbbbbbbbbbb', progressDetail: { current: 5, total: 50 } }, 200);
    sut.add({ status: 'Pull complete', id: 'aaaaaaaaaaaa' }, 300);
    expect(sut.total('pulled')).toEqual({ progress: 'pull', status: 'pulled', current: 105, total: 150 });
    sut.add({ status: 'Digest: sha256:abc123' }, 400);
    expect(sut.digest).toBe('sha256:abc123');
  });

  it('keeps the error the stream reports', () => {
    const sut = new PullProgress();
    sut.add({ error: 'x', errorDetail: { message: 'unauthorized: authentication required' } }, 0);
    expect(sut.error).toBe('unauthorized: authentication required');
  });
});

describe('pullFailure', () => {
  const ref = 'reg:5000/app:1';
  it('names what went wrong', () => {
    expect(
      pullFailure(ref, 'reg:5000', 'Head "http://reg:5000/v2/app/manifests/1": no basic auth credentials').message,
    ).toMatch(/unauthorized: registry reg:5000 refused the credentials/);
    const missing = pullFailure(ref, 'reg:5000', 'manifest for reg:5000/app:1 not found: manifest unknown');
    expect(missing.code).toBe('not_found');
    expect(missing.message).toMatch(/not found: registry reg:5000 has no such repository, tag or digest/);
    const down = pullFailure(
      ref,
      'reg:5000',
      'Get "https://reg:5000/v2/": dial tcp 1.2.3.4:5000: connect: connection refused',
    );
    expect(down.message).toMatch(/unreachable: cannot reach registry reg:5000/);
    expect(down.retryable).toBe(true);
  });
});

describe('pullErrorText', () => {
  it("takes the daemon's words out of a streamed request's error", () => {
    const error = Object.assign(
      new Error('(HTTP code 500) server error - Head "http://r:5511/v2/a/manifests/1": no basic auth credentials '),
      { reason: 'server error', statusCode: 500, json: null },
    );
    expect(pullErrorText(error)).toBe('Head "http://r:5511/v2/a/manifests/1": no basic auth credentials');
    expect(pullErrorText(Object.assign(new Error('x'), { json: { message: 'from json' } }))).toBe('from json');
  });
});
