import { describe, expect, it } from 'vitest';
import { invalidTextField } from './text-input.guard.js';

describe('invalidTextField', () => {
  it('names the first field holding a NUL or an unpaired surrogate', () => {
    expect(invalidTextField({ name: 'a\u0000' }, '')).toBe('name');
    expect(invalidTextField({ spec: { env: { A: 'ok', B: 'x\u0000' } } }, '')).toBe('spec.env.B');
    expect(invalidTextField({ command: ['echo', '\ud800'] }, '')).toBe('command.1');
    expect(invalidTextField({ 'k\u0000': 'v' }, '')).toBe('k\u0000');
    expect(invalidTextField({ x: '\udc00' }, '')).toBe('x');
  });

  it('lets text with paired surrogates, newlines and other characters through', () => {
    expect(invalidTextField({ a: 'emoji 😀', b: 'line\nbreak\ttab', c: ['é', 1, null, true] }, '')).toBeNull();
  });
});
