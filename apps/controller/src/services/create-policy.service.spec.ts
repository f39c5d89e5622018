import { NO_GRANTS } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import type { PolicyDto } from '../dtos/policy.dto.js';
import { effectivePolicy, type PolicyHost, withPolicyRefusal } from './create-policy.service.js';
import { aHost } from './scheduler/scheduler.fixture.js';

const policy = (name: string, selector: PolicyDto['selector'], grants: Partial<PolicyDto['grants']>): PolicyDto => ({
  id: `${name}-id`,
  name,
  selector,
  grants: { ...NO_GRANTS, ...grants },
  createdBy: null,
  createdAt: '',
  updatedAt: '',
});

const host = (agentLabels: Record<string, string>): PolicyHost => ({
  id: 'h',
  hostname: 'h',
  agentLabels,
  lxcTemplates: ['busybox'],
});

describe('effectivePolicy', () => {
  const policies = [
    policy('global', [], { bindMounts: ['/srv'] }),
    policy('gpu', [{ label: 'gpu', op: 'exists' }], { hostNamespaces: true }),
    policy('eu', [{ label: 'zone', op: '=', value: 'eu' }], { bindMounts: ['/data'] }),
  ];

  it('combines the grants of every policy whose selector the agent labels match', () => {
    const sut = effectivePolicy(policies, host({ gpu: 'a100', zone: 'eu' }));
    expect(sut.policies.map((p) => p.name)).toEqual(['global', 'gpu', 'eu']);
    expect(sut.grants).toMatchObject({ bindMounts: ['/srv', '/data'], hostNamespaces: true });
  });

  it('gives a host no selector matches only the global policies, and with none the default', () => {
    expect(effectivePolicy(policies, host({ zone: 'us' })).grants).toMatchObject({
      bindMounts: ['/srv'],
      hostNamespaces: false,
    });
    expect(effectivePolicy([], host({})).grants).toEqual(NO_GRANTS);
  });
});

describe('withPolicyRefusal', () => {
  it('turns a host down with the rule as the reason, unless a more basic filter already does', () => {
    const ready = aHost({ id: 'a' });
    expect(withPolicyRefusal(ready, 'docker', 'create policy rule x: no')).toMatchObject({
      cordoned: true,
      policyRefusal: 'create policy rule x: no',
    });
    expect(withPolicyRefusal(ready, 'docker', undefined)).toBe(ready);
    const offline = aHost({ id: 'b', online: false });
    expect(withPolicyRefusal(offline, 'docker', 'create policy rule x: no')).toBe(offline);
  });
});
