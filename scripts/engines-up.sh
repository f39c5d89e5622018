#!/usr/bin/env bash
# Starts the real engines the tests use (dockerd, lxc-net with dnsmasq) and builds the
# busybox test image. Idempotent: safe to run again while the engines are up. Needs root.
set -euo pipefail

log() { printf '[engines] %s\n' "$*"; }
die() { printf '[engines] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (dockerd and lxc-net need it)"

# cgroup v2: dockerd and lxc need a delegated hierarchy; nothing to do when it is mounted already.
if ! mountpoint -q /sys/fs/cgroup; then
  mount -t cgroup2 none /sys/fs/cgroup || die "cannot mount cgroup2 at /sys/fs/cgroup"
fi

# --- Docker ---------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  nohup dockerd --host unix:///var/run/docker.sock >/var/log/corral-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 30 /var/log/corral-dockerd.log >&2; die "dockerd did not come up in 60 s"; }
fi
log "docker $(docker version --format '{{.Server.Version}}')"

# --- LXC --------------------------------------------------------------------------------
# No AppArmor on these machines: containers must run unconfined.
if ! grep -q '^lxc.apparmor.profile = unconfined' /etc/lxc/default.conf; then
  sed -i '/^lxc.apparmor/d' /etc/lxc/default.conf
  echo 'lxc.apparmor.profile = unconfined' >>/etc/lxc/default.conf
fi
if ! ip -j link show lxcbr0 >/dev/null 2>&1 || ! pgrep -f 'dnsmasq.*lxcbr0' >/dev/null; then
  log "starting lxc-net"
  /usr/libexec/lxc/lxc-net stop >/dev/null 2>&1 || true
  /usr/libexec/lxc/lxc-net start
fi
ip -j link show lxcbr0 >/dev/null 2>&1 || die "lxcbr0 missing after lxc-net start"
pgrep -f 'dnsmasq.*lxcbr0' >/dev/null || die "dnsmasq for lxcbr0 is not running"
log "lxc $(lxc-ls --version), lxcbr0 up"

# --- Test image -------------------------------------------------------------------------
# No registry here: import a busybox rootfs as the image the tests run.
image=corral-test/busybox:latest
if ! docker image inspect "$image" >/dev/null 2>&1; then
  [ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
  rm -rf "$root"
fi
log "image $image ready"
