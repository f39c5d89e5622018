import { describe, expect, it } from 'vitest';
import { MASKED_VALUE, maskSecretEnv, maskSecretsDeep, sensitivityOf } from './command-sensitivity.js';
import { COMMAND_OPS } from './commands.js';

describe('command sensitivity', () => {
  it('names env and exec command lines as sensitive, and exec and logs as carrying output', () => {
    expect(sensitivityOf('container.create')).toEqual({ params: ['env'], output: false });
    expect(sensitivityOf('container.exec')).toEqual({ params: ['env', 'command'], output: true });
    expect(sensitivityOf('container.logs').output).toBe(true);
    expect(sensitivityOf('container.start')).toEqual({ params: [], output: false });
  });

  it('covers every op, and treats an unknown one as the most sensitive', () => {
    for (const op of COMMAND_OPS) expect(sensitivityOf(op)).toBeDefined();
    expect(sensitivityOf('container.future')).toEqual({ params: ['env', 'command'], output: true });
  });

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
