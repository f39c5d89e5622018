#!/bin/sh
# Runs a command with /sys/class/net and /sys/devices/virtual/net showing the current network
# namespace. Call it in a private mount namespace inside the target network namespace:
#   nsenter --net=/var/run/netns/NS unshare --mount --propagation slave sh sysfs-exec.sh CMD ARGS...
# lxc-start checks a container's bridge under /sys/class/net, which otherwise shows the root
# namespace. Remounting all of /sys (as `ip netns exec` does) would hide the cgroup mounts.
set -eu
tmp=$(mktemp -d)
mount -t sysfs sysfs "$tmp"
mount --bind "$tmp/class/net" /sys/class/net
mount --bind "$tmp/devices/virtual/net" /sys/devices/virtual/net
umount -l "$tmp"
rmdir "$tmp"
exec "$@"
