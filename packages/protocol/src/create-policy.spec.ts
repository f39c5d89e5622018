import { describe, expect, it } from 'vitest';
import { parseCommandParams } from './commands.js';
import {
  type CreateGrants,
  CreateGrantsSchema,
  checkCreate,
  keyMatches,
  mergeGrants,
  NEVER_LXC_KEYS,
  NO_GRANTS,
} from './create-policy.js';
import type { ContainerCreateParams } from './ops/params.js';

const params = (raw: Record<string, unknown>): ContainerCreateParams => {
  const parsed = parseCommandParams('container.create', raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.params;
};
const docker = (extra: Record<string, unknown>) => params({ runtime: 'docker', image: 'busybox', ...extra });
const lxc = (extra: Record<string, unknown>) => params({ runtime: 'lxc', name: 'c1', ...extra });
const grants = (g: Partial<CreateGrants>): CreateGrants => ({ ...NO_GRANTS, ...g });
const installed = { installedTemplates: ['busybox', 'download'] };

describe('checkCreate: docker', () => {
  it.each([
    ['/', 'mounts.0.source'],
    ['/var/run/docker.sock', 'mounts.0.source'],
    ['/etc/../etc', 'mounts.0.source'],
  ])('refuses the bind mount of %s by default', (source, field) => {
    const sut = checkCreate(docker({ mounts: [{ source, target: '/host' }] }), NO_GRANTS, installed);
    expect(sut).toMatchObject({ rule: 'docker.bindMounts', field });
  });

  it('allows a bind mount under a granted path, and nothing beside it', () => {
    const g = grants({ bindMounts: ['/srv/data'] });
    expect(checkCreate(docker({ mounts: [{ source: '/srv/data/x', target: '/x' }] }), g, installed)).toBeNull();
    expect(checkCreate(docker({ mounts: [{ source: '/srv/data', target: '/x' }] }), g, installed)).toBeNull();
    expect(checkCreate(docker({ mounts: [{ source: '/srv/database', target: '/x' }] }), g, installed)).toMatchObject({
      rule: 'docker.bindMounts',
    });
    const all = grants({ bindMounts: ['/'] });
    expect(checkCreate(docker({ mounts: [{ source: '/', target: '/x' }] }), all, installed)).toBeNull();
  });

  it('checks the path the agent resolves (a symlink out of an allowed directory)', () => {
    const g = grants({ bindMounts: ['/srv'] });
    const sut = checkCreate(docker({ mounts: [{ source: '/srv/link', target: '/x' }] }), g, {
      installedTemplates: null,
      resolveHostPath: () => '/etc',
    });
    expect(sut).toMatchObject({ rule: 'docker.bindMounts', message: expect.stringContaining('/etc on the host') });
  });

  it('lets volumes through', () => {
    expect(checkCreate(docker({ mounts: [{ source: 'data', target: '/data' }] }), NO_GRANTS, installed)).toBeNull();
  });

  it('refuses the host network and container: networks unless granted', () => {
    expect(checkCreate(docker({ network: 'host' }), NO_GRANTS, installed)).toMatchObject({
      rule: 'docker.hostNamespaces',
      field: 'network',
    });
    expect(checkCreate(docker({ network: 'container:other' }), NO_GRANTS, installed)).toMatchObject({
      rule: 'docker.containerNetwork',
    });
    expect(checkCreate(docker({ network: 'host' }), grants({ hostNamespaces: true }), installed)).toBeNull();
    expect(checkCreate(docker({ network: 'container:o' }), grants({ containerNetwork: true }), installed)).toBeNull();
    expect(checkCreate(docker({ network: 'bridge' }), NO_GRANTS, installed)).toBeNull();
  });
});

describe('checkCreate: lxc', () => {
  it('refuses a template path, always', () => {
    const sut = checkCreate(lxc({ template: '/tmp/evil.sh' }), grants({ lxcTemplates: ['busybox'] }), installed);
    expect(sut).toMatchObject({ rule: 'lxc.templatePath', field: 'template' });
    expect(checkCreate(lxc({ template: '../x' }), NO_GRANTS, installed)).toMatchObject({ rule: 'lxc.templatePath' });
  });

  it('allows the installed templates by default, and a policy list instead when given', () => {
    expect(checkCreate(lxc({ template: 'busybox' }), NO_GRANTS, installed)).toBeNull();
    expect(checkCreate(lxc({ template: 'oci' }), NO_GRANTS, installed)).toMatchObject({ rule: 'lxc.templates' });
    expect(checkCreate(lxc({ template: 'download' }), grants({ lxcTemplates: ['busybox'] }), installed)).toMatchObject({
      rule: 'lxc.templates',
    });
    expect(checkCreate(lxc({ template: 'busybox' }), NO_GRANTS, { installedTemplates: null })).toMatchObject({
      rule: 'lxc.templates',
    });
  });

  it('refuses template arguments that redirect lxc-create or name host paths', () => {
    for (const arg of ['--rootfs', '--rootfs=/', '-p', '/etc/shadow', '--fstree=/x', 'oci:/var/lib/x']) {
      expect(checkCreate(lxc({ templateArgs: [arg] }), NO_GRANTS, installed)).toMatchObject({
        rule: 'lxc.templateArgs',
      });
    }
    const ok = ['-d', 'alpine', '--url', 'docker://busybox'];
    expect(checkCreate(lxc({ templateArgs: ok }), NO_GRANTS, installed)).toBeNull();
    expect(checkCreate(lxc({ templateArgs: ['--rootfs=/'] }), grants({ lxcTemplateArgs: true }), installed)).toBeNull();
  });

  it.each([
    'lxc.hook.destroy',
    'lxc.hook.start',
    'lxc.mount.entry',
    'lxc.mount.auto',
    'lxc.mount.fstab',
    'lxc.rootfs.path',
    'lxc.apparmor.profile',
    'lxc.seccomp.profile',
    'lxc.cap.drop',
    'lxc.cap.keep',
    'lxc.cgroup.devices.allow',
    'lxc.cgroup2.devices.allow',
    'lxc.idmap',
    'lxc.include',
    'lxc.namespace.share.net',
    'lxc.net.0.script.up',
    'lxc.log.file',
    'lxc.console.logfile',
    'lxc.sysctl.kernel.core_pattern',
  ])('refuses %s whatever the grants say', (key) => {
    const all = grants({ lxcConfigKeys: ['lxc.*'], hostNamespaces: true, lxcTemplateArgs: true });
    expect(checkCreate(lxc({ config: { [key]: 'x' } }), all, installed)).toMatchObject({
      rule: 'lxc.configKeys',
      field: `config.${key}`,
      message: expect.stringContaining('never allowed'),
    });
  });

  it('allows limits and the network link by default, other keys only when granted', () => {
    const config = { 'lxc.net.0.link': 'lxcbr0', 'lxc.cgroup2.memory.max': '1G', 'lxc.start.auto': '1' };
    expect(checkCreate(lxc({ config }), NO_GRANTS, installed)).toBeNull();
    expect(checkCreate(lxc({ config: { 'lxc.sysctl.net.ipv4.ip_forward': '1' } }), NO_GRANTS, installed)).toMatchObject(
      { rule: 'lxc.configKeys' },
    );
    const g = grants({ lxcConfigKeys: ['lxc.sysctl.net.*'] });
    expect(checkCreate(lxc({ config: { 'lxc.sysctl.net.ipv4.ip_forward': '1' } }), g, installed)).toBeNull();
  });

  it('keeps network types that reach the host behind grants', () => {
    expect(checkCreate(lxc({ config: { 'lxc.net.0.type': 'veth' } }), NO_GRANTS, installed)).toBeNull();
    expect(checkCreate(lxc({ config: { 'lxc.net.0.type': 'none' } }), NO_GRANTS, installed)).toMatchObject({
      rule: 'lxc.hostNamespaces',
    });
    expect(checkCreate(lxc({ config: { 'lxc.net.0.type': 'phys' } }), NO_GRANTS, installed)).toMatchObject({
      rule: 'lxc.configKeys',
    });
    const g = grants({ lxcConfigKeys: ['lxc.net.*.type'] });
    expect(checkCreate(lxc({ config: { 'lxc.net.0.type': 'phys' } }), g, installed)).toBeNull();
  });
});

describe('grants', () => {
  it('refuses a never-allowed key in a policy', () => {
    const sut = CreateGrantsSchema.safeParse({ lxcConfigKeys: ['lxc.hook.start'] });
    expect(sut.success).toBe(false);
    expect(CreateGrantsSchema.safeParse({ lxcConfigKeys: ['lxc.*'] }).success).toBe(true);
    expect(CreateGrantsSchema.safeParse({ lxcTemplates: ['/tmp/x.sh'] }).success).toBe(false);
    expect(CreateGrantsSchema.safeParse({ bindMounts: ['relative'] }).success).toBe(false);
    expect(CreateGrantsSchema.safeParse({ privileged: true }).success).toBe(false);
  });

  it('merges by union; template lists replace the installed default only when given', () => {
    const sut = mergeGrants([
      grants({ bindMounts: ['/srv'] }),
      grants({ bindMounts: ['/data', '/srv'], hostNamespaces: true, lxcTemplates: ['busybox'] }),
      NO_GRANTS,
    ]);
    expect(sut).toEqual({
      ...NO_GRANTS,
      bindMounts: ['/srv', '/data'],
      hostNamespaces: true,
      lxcTemplates: ['busybox'],
    });
    expect(mergeGrants([NO_GRANTS]).lxcTemplates).toBeNull();
  });

  it('matches key patterns part by part', () => {
    expect(keyMatches('lxc.net.*.link', 'lxc.net.0.link')).toBe(true);
    expect(keyMatches('lxc.net.*.link', 'lxc.net.0.ipv4.link')).toBe(false);
    expect(keyMatches('lxc.hook.*', 'lxc.hook.pre-start')).toBe(true);
    expect(NEVER_LXC_KEYS.some((p) => keyMatches(p, 'lxc.net.1.script.down'))).toBe(true);
  });
});
