import { checkRestoredLxcConfig, NO_GRANTS } from '@corral/protocol';
import { describe, expect, it } from 'vitest';
import { configEntries, freshMac, rewriteRestoredConfig, rootfsDir } from './transfer.op.js';

// What lxc-create -t busybox writes on a fleet host, plus a console log Corral's create adds.
const BUSYBOX = `lxc.net.0.type = veth
lxc.net.0.flags = up
lxc.apparmor.profile = unconfined
lxc.rootfs.path = dir:/srv/a/lxc/web/rootfs
lxc.signal.halt = SIGUSR1
lxc.uts.name = "web"
lxc.tty.max = 5
lxc.cap.drop = sys_module mac_admin mac_override sys_time
lxc.mount.auto = cgroup:mixed proc:mixed sys:ro
lxc.mount.entry = shm dev/shm tmpfs defaults,create=dir 0 0
lxc.mount.entry = /lib lib none ro,bind 0 0
lxc.console.logfile = /srv/a/lxc/web/console.log
lxc.net.0.link = cbr0
lxc.net.0.hwaddr = 00:16:3e:aa:bb:cc
`;
const HOST_DEFAULTS = configEntries('lxc.net.0.type = veth\nlxc.apparmor.profile = unconfined\n');

describe('restoring an LXC config on another host', () => {
  it('points rootfs, name and console log at the target, links veths to its bridge with a fresh MAC', () => {
    const sut = rewriteRestoredConfig(
      BUSYBOX,
      { lxcPath: '/srv/b/lxc', name: 'web2' },
      'lxcbr1',
      () => '00:16:3e:01:02:03',
    );
    expect(sut.hwaddrs).toEqual(['00:16:3e:01:02:03']);
    const entries = new Map(configEntries(sut.text));
    expect(entries.get('lxc.rootfs.path')).toBe('dir:/srv/b/lxc/web2/rootfs');
    expect(entries.get('lxc.uts.name')).toBe('web2');
    expect(entries.get('lxc.console.logfile')).toBe('/srv/b/lxc/web2/console.log');
    expect(entries.get('lxc.net.0.link')).toBe('lxcbr1');
    expect(entries.get('lxc.net.0.hwaddr')).toBe('00:16:3e:01:02:03');
    expect(sut.text).not.toContain('/srv/a/');
    expect(sut.text).toContain('lxc.mount.entry = /lib lib none ro,bind 0 0');
  });

  it('keeps the links when no bridge is given, and leaves non-veth interfaces alone', () => {
    const text = `${BUSYBOX}lxc.net.1.type = empty\n`;
    const sut = rewriteRestoredConfig(text, { lxcPath: '/x', name: 'n' }, null, () => '00:16:3e:00:00:01');
    expect(new Map(configEntries(sut.text)).get('lxc.net.0.link')).toBe('cbr0');
    expect(sut.hwaddrs).toHaveLength(1);
  });

  it('makes locally administered MACs with the LXC prefix', () => {
    expect(freshMac(Buffer.from([1, 0xab, 255]))).toBe('00:16:3e:01:ab:ff');
    expect(freshMac()).toMatch(/^00:16:3e(:[0-9a-f]{2}){3}$/);
  });

  it('finds the rootfs directory only for plain directories', () => {
    expect(rootfsDir(BUSYBOX)).toBe('/srv/a/lxc/web/rootfs');
    expect(rootfsDir('lxc.rootfs.path = overlay:/a:/b\n')).toBeNull();
  });

  it('allows a template-made config with the host defaults, and refuses a hook or a writable host mount', () => {
    expect(checkRestoredLxcConfig(configEntries(BUSYBOX), NO_GRANTS, HOST_DEFAULTS)).toBeNull();
    // Without the host's default the apparmor line is the copied config's own: refused.
    expect(checkRestoredLxcConfig(configEntries(BUSYBOX), NO_GRANTS)?.field).toBe('config.lxc.apparmor.profile');
    const hook = checkRestoredLxcConfig(
      configEntries(`${BUSYBOX}lxc.hook.pre-start = /bin/true\n`),
      NO_GRANTS,
      HOST_DEFAULTS,
    );
    expect(hook).toMatchObject({ rule: 'lxc.configKeys', field: 'config.lxc.hook.pre-start' });
    const mount = checkRestoredLxcConfig(
      configEntries(`${BUSYBOX}lxc.mount.entry = /etc etc none rw,bind 0 0\n`),
      NO_GRANTS,
      HOST_DEFAULTS,
    );
    expect(mount?.field).toBe('config.lxc.mount.entry');
    const include = checkRestoredLxcConfig(
      configEntries(`${BUSYBOX}lxc.include = /srv/evil.conf\n`),
      NO_GRANTS,
      HOST_DEFAULTS,
    );
    expect(include?.field).toBe('config.lxc.include');
    const granted = checkRestoredLxcConfig(
      configEntries(`${BUSYBOX}lxc.hook.pre-start = /bin/true\n`),
      { ...NO_GRANTS, lxcConfigKeys: ['lxc.environment'] },
      HOST_DEFAULTS,
    );
    expect(granted?.rule).toBe('lxc.configKeys');
  });
});
