import { describe, expect, it } from 'vitest';
import { MASKED_VALUE, maskSecretEnv, maskSecretsDeep } from './secret-env.js';

describe('secret env masking', () => {
  it('masks env values whose names look secret, and keeps the rest', () => {
    const env = { API_KEY: 'k', db_password: 'p', GITHUB_TOKEN: 't', MY_SECRET: 's', PATH: '/bin', LANG: 'C' };
    expect(maskSecretEnv(env)).toEqual({
      API_KEY: MASKED_VALUE,
      db_password: MASKED_VALUE,
      GITHUB_TOKEN: MASKED_VALUE,
      MY_SECRET: MASKED_VALUE,
      PATH: '/bin',
      LANG: 'C',
    });
    expect(env.API_KEY).toBe('k');
  });

  it('masks every env map in a structure, and returns the same object when there is none', () => {
    const placement = { request: { spec: { env: { TOKEN: 'x', A: 'b' } } }, commands: [{ params: { env: {} } }] };
    expect(maskSecretsDeep(placement)).toEqual({
      request: { spec: { env: { TOKEN: MASKED_VALUE, A: 'b' } } },
      commands: [{ params: { env: {} } }],
    });
    const plain = { params: { env: { A: '1' } }, list: [1, 2] };
    expect(maskSecretsDeep(plain)).toBe(plain);
  });
});
