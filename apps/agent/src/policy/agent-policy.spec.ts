import { randomUUID } from 'node:crypto';
import { type CommandMessage, NO_GRANTS } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { agentPolicyCheck, installedTemplates, loadAgentPolicy } from './agent-policy.js';

const create = (params: Record<string, unknown>): CommandMessage => ({
  type: 'command',
  id: randomUUID(),
  op: 'container.create',
  target: { kind: 'host' },
  params,
  deadline: new Date(Date.now() + 60_000).toISOString(),
});

describe('loadAgentPolicy', () => {
  it('is the safe default when unset', () => {
    expect(loadAgentPolicy(undefined)).toEqual({ ok: true, grants: NO_GRANTS, source: 'default (no grants)' });
  });

  it('reads JSON from the variable or from the file it names', () => {
    expect(loadAgentPolicy('{"bindMounts": ["/srv"]}')).toMatchObject({ ok: true, grants: { bindMounts: ['/srv'] } });
    const sut = loadAgentPolicy('/etc/corral/policy.json', (p) => {
      expect(p).toBe('/etc/corral/policy.json');
      return '{"hostNamespaces": true}';
    });
    expect(sut).toMatchObject({ ok: true, grants: { hostNamespaces: true }, source: '/etc/corral/policy.json' });
  });

  it('names what is wrong', () => {
    expect(loadAgentPolicy('{"bindMounts": "/"}')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/bindMounts/),
    });
    expect(loadAgentPolicy('{"privileged": true}')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/privileged/),
    });
    expect(loadAgentPolicy('{nope')).toMatchObject({ ok: false, problem: expect.stringMatching(/not JSON/) });
    expect(
      loadAgentPolicy('/missing', () => {
        throw new Error('ENOENT');
      }),
    ).toMatchObject({ ok: false, problem: expect.stringMatching(/cannot read \/missing/) });
  });
});

describe('installedTemplates', () => {
  it('lists lxc-* files by name and nothing else', () => {
    expect(installedTemplates('/t', () => ['lxc-busybox', 'lxc-download', 'README', 'lxc-'])).toEqual([
      'busybox',
      'download',
    ]);
    expect(
      installedTemplates('/t', () => {
        throw new Error('EACCES');
      }),
    ).toEqual([]);
  });
});

describe('agentPolicyCheck', () => {
  const sut = agentPolicyCheck({
    grants: NO_GRANTS,
    lxcTemplateDir: '/t',
    templates: () => ['busybox'],
    resolve: (p) => p,
  });

  it('refuses what its grants refuse, as forbidden naming the rule and the field', () => {
    const error = sut(create({ runtime: 'docker', image: 'busybox', mounts: [{ source: '/', target: '/host' }] }));
    expect(error).toMatchObject({ code: 'forbidden', retryable: false });
    expect(error?.message).toMatch(
      /params\.mounts\.0\.source: refused by this agent's policy \(rule docker\.bindMounts\)/,
    );
    expect(sut(create({ runtime: 'lxc', name: 'c', template: '/tmp/x.sh' }))?.message).toMatch(/lxc\.templatePath/);
    expect(sut(create({ runtime: 'lxc', name: 'c', config: { 'lxc.hook.destroy': '/x' } }))?.code).toBe('forbidden');
    expect(sut(create({ runtime: 'lxc', name: 'c', template: 'download' }))?.message).toMatch(/lxc\.templates/);
  });

  it('lets safe creates and other ops through', () => {
    expect(sut(create({ runtime: 'lxc', name: 'c', template: 'busybox' }))).toBeNull();
    expect(sut(create({ runtime: 'docker', image: 'busybox', mounts: [{ source: 'vol', target: '/v' }] }))).toBeNull();
    expect(sut({ ...create({}), op: 'container.start', target: { kind: 'host' } })).toBeNull();
  });

  it('follows a bind source to where it points on the host', () => {
    const check = agentPolicyCheck({
      grants: { ...NO_GRANTS, bindMounts: ['/srv'] },
      lxcTemplateDir: '/t',
      resolve: (p) => (p === '/srv/escape' ? '/etc' : p),
    });
    expect(check(create({ runtime: 'docker', image: 'b', mounts: [{ source: '/srv/ok', target: '/x' }] }))).toBeNull();
    expect(
      check(create({ runtime: 'docker', image: 'b', mounts: [{ source: '/srv/escape', target: '/x' }] })),
    ).toMatchObject({
      code: 'forbidden',
    });
  });
});
