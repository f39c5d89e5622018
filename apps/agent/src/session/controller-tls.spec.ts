import { describe, expect, it } from 'vitest';
import { validityProblem } from './controller-tls.js';

describe('validityProblem', () => {
  const cert = { valid_from: 'Jan  1 00:00:00 2020 GMT', valid_to: 'Jan  2 00:00:00 2020 GMT' };

  it('accepts a certificate within its dates', () => {
    expect(validityProblem(cert, Date.parse('2020-01-01T12:00:00Z'))).toBeNull();
  });

  it('says when it expired, or from when it is valid', () => {
    expect(validityProblem(cert, Date.parse('2020-01-03T00:00:00Z'))).toBe(
      'controller certificate expired on Jan  2 00:00:00 2020 GMT',
    );
    expect(validityProblem(cert, Date.parse('2019-12-31T00:00:00Z'))).toBe(
      'controller certificate is not valid before Jan  1 00:00:00 2020 GMT',
    );
  });

  it('refuses dates it cannot read', () => {
    expect(validityProblem({}, Date.now())).toBe('controller certificate has no readable validity dates');
  });
});
