import { describe, expect, it } from 'vitest';
import { parseCommandParams } from './commands.js';
import { parseImageReference } from './image-reference.js';

describe('parseImageReference', () => {
  it.each([
    'busybox',
    'busybox:latest',
    'corral-test/busybox:latest',
    'library/busybox',
    '127.0.0.1:5000/team/app:1.2',
    'localhost/app',
    'registry.example.com/a/b/c:v1.0-rc_2',
    '[::1]:5000/app:tag',
    `busybox@sha256:${'a'.repeat(64)}`,
    `sha256:${'0123456789abcdef'.repeat(4)}`,
    'a__b/c-d.e_f',
    'Registry.Example.com/app',
  ])('accepts %s', (text) => {
    expect(parseImageReference(text)).toMatchObject({ ok: true });
  });

  it('splits domain, path, tag and digest', () => {
    const sut = parseImageReference(`127.0.0.1:5000/team/app:1.2@sha256:${'b'.repeat(64)}`);
    expect(sut).toEqual({
      ok: true,
      reference: { domain: '127.0.0.1:5000', path: 'team/app', tag: '1.2', digest: `sha256:${'b'.repeat(64)}` },
    });
  });

  it.each([
    ['x:y:z', /name component "x:y"/],
    [':', /repository name cannot be empty/],
    ['', /cannot be empty/],
    ['busybox:', /tag ""/],
    ['busybox:.bad', /tag "\.bad"/],
    ['Busybox', /must be lowercase/],
    ['a//b', /name component ""/],
    ['-a', /name component "-a"/],
    ['a/b_', /name component "b_"/],
    ['busybox@sha256:abc', /digest is algorithm:hex/],
    [`${'a'.repeat(256)}:t`, /longer than 255/],
  ])('refuses %j naming the rule', (text, rule) => {
    const sut = parseImageReference(text);
    expect(sut.ok).toBe(false);
    expect(sut.ok ? '' : sut.rule).toMatch(rule);
  });

  it('refuses a digest where a name to give is wanted', () => {
    expect(parseImageReference(`a@sha256:${'c'.repeat(64)}`, { digest: false })).toMatchObject({ ok: false });
  });

  it('is what container.create, image.tag and image.import check', () => {
    expect(parseCommandParams('container.create', { runtime: 'docker', image: 'x:y:z' })).toMatchObject({
      ok: false,
      field: 'image',
      message: expect.stringMatching(/params\.image: not a valid image reference: name component "x:y"/),
    });
    expect(parseCommandParams('image.tag', { reference: ':' })).toMatchObject({ ok: false, field: 'reference' });
    expect(parseCommandParams('image.import', { uploadId: 'u', reference: 'ok/name:1' })).toMatchObject({ ok: true });
  });
});
