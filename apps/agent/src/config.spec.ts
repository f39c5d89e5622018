import { describe, expect, it } from 'vitest';
import { ConfigError, loadAgentConfig } from './config.js';

describe('loadAgentConfig', () => {
  it('reads CORRAL_LABELS into labels, none when unset', () => {
    expect(loadAgentConfig({ CORRAL_LABELS: 'zone=eu,disk=ssd' }).labels).toEqual({ zone: 'eu', disk: 'ssd' });
    expect(loadAgentConfig({}).labels).toEqual({});
  });

  it('refuses a bad CORRAL_LABELS with every problem, together with the other bad variables', () => {
    let sut: unknown;
    try {
      loadAgentConfig({ CORRAL_LABELS: 'zone=eu,ssd,rack=a b', CORRAL_POLL_INTERVAL_MS: '5' });
    } catch (err) {
      sut = err;
    }
    expect(sut).toBeInstanceOf(ConfigError);
    const problems = (sut as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems).toContain('CORRAL_LABELS (key=value,key=value): "ssd" is not key=value');
    expect(problems.some((p) => p.startsWith('CORRAL_LABELS (key=value,key=value): "rack=a b": a label value'))).toBe(
      true,
    );
    expect(problems.some((p) => p.startsWith('CORRAL_POLL_INTERVAL_MS'))).toBe(true);
  });

  it('reads CORRAL_AGENT_POLICY (safe default when unset) and refuses a bad one with the others', () => {
    expect(loadAgentConfig({}).policy).toMatchObject({ bindMounts: [], hostNamespaces: false, lxcTemplates: null });
    expect(loadAgentConfig({ CORRAL_AGENT_POLICY: '{"bindMounts":["/srv"]}' }).policy.bindMounts).toEqual(['/srv']);
    let sut: unknown;
    try {
      loadAgentConfig({ CORRAL_AGENT_POLICY: '{"lxcConfigKeys":["lxc.hook.start"]}', CORRAL_POLL_INTERVAL_MS: '5' });
    } catch (err) {
      sut = err;
    }
    const problems = (sut as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems).toContainEqual(
      expect.stringMatching(/^CORRAL_AGENT_POLICY: lxcConfigKeys\.0: this key is never allowed/),
    );
  });
});
