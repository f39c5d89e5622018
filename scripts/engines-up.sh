#!/usr/bin/env bash
# Starts the real engines the tests use (dockerd, lxc-net with dnsmasq), builds the busybox test
# image and makes sure Postgres answers on 127.0.0.1:5432 (scripts/postgres-up.sh). Idempotent:
# safe to run again while the engines are up. Needs root.
set -euo pipefail

log() { printf '[engines] %s\n' "$*"; }
die() { printf '[engines] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (dockerd and lxc-net need it)"

# --- Packages -------------------------------------------------------------------------
# Debian packages of the engines and the tools the tests call; apt runs only when one is missing.
# chromium: the web view's browser tests drive Debian's build (playwright-core downloads none).
# docker-registry (distribution 2.8) and apache2-utils (htpasswd -B): the registry the image tests pull from.
packages=(docker.io lxc dnsmasq-base bridge-utils busybox-static iproute2 iptables docker-compose tmux chromium docker-registry apache2-utils haproxy)
# Postgres for the tests comes from Debian too when 127.0.0.1:5432 does not answer (postgres-up.sh).
pg_just_installed=no
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  # shellcheck source=scripts/postgres-up.sh
  source "$(dirname "$0")/postgres-up.sh"
  if [ "$(pg_plan "$(pg_answering)" "$(pg_installed)" '')" = install ]; then
    packages+=(postgresql)
    pg_just_installed=yes
  fi
fi
missing=()
for pkg in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_log=/var/log/corral-apt.log
  timeout 150 apt-get update -q >"$apt_log" 2>&1 || { tail -n 20 "$apt_log" >&2; die "apt-get update failed"; }
  timeout 360 apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1 \
    || { tail -n 30 "$apt_log" >&2; die "apt-get install ${missing[*]} failed (log: $apt_log)"; }
fi

# --- iptables ---------------------------------------------------------------------------
# dockerd and lxc-net write filter and nat rules through whatever `iptables` points at. Some
# kernels here lack nf_tables (or its nat support): fall back to the legacy backend then.
iptables_ok() { "$1" -w -t filter -L -n >/dev/null 2>&1 && "$1" -w -t nat -L -n >/dev/null 2>&1; }
if ! iptables_ok iptables; then
  iptables_ok iptables-legacy || die "neither iptables-nft nor iptables-legacy can list the filter and nat tables"
  log "iptables-nft does not work on this kernel: switching to iptables-legacy"
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
  # A dockerd started on the broken backend has no working rules: restart it below.
  if pid=$(cat /var/run/docker.pid 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd $pid (started with the broken iptables backend)"
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
fi
log "$(iptables --version)"

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

# --- Registry ---------------------------------------------------------------------------
# Debian's docker-registry on 10.251.255.1, an address of the root namespace's loopback interface:
# the local dockerd reaches it there, and each netns fleet host through its veth (test/fleet adds a
# route to it and --insecure-registry). :5510 open (the tests push there), :5511 the same storage
# behind htpasswd auth. Constants shared with the tests: test/support/registry.ts.
REGISTRY_ADDR=10.251.255.1
REGISTRY_OPEN_PORT=5510
REGISTRY_AUTH_PORT=5511
REGISTRY_USER=corral-puller
REGISTRY_PASSWORD='reg-Secret-7c1e9a'
registry_dir=/var/lib/corral-registry
if ! ip -4 -o addr show dev lo | grep -q " $REGISTRY_ADDR/"; then
  ip addr add "$REGISTRY_ADDR/32" dev lo
fi
mkdir -p "$registry_dir/storage"
if [ ! -s "$registry_dir/htpasswd" ]; then
  htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$registry_dir/htpasswd"
  chmod 0600 "$registry_dir/htpasswd"
fi
registry_config() { # name port auth(yes|no)
  {
    printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\n' "$registry_dir"
    printf 'http:\n  addr: %s:%s\n' "$REGISTRY_ADDR" "$2"
    if [ "$3" = yes ]; then
      printf 'auth:\n  htpasswd:\n    realm: corral-test\n    path: %s/htpasswd\n' "$registry_dir"
    fi
  } >"$registry_dir/$1.yml"
}
registry_up() { # name port auth
  local name=$1 port=$2
  if curl -s -o /dev/null --max-time 2 "http://$REGISTRY_ADDR:$port/v2/"; then return; fi
  registry_config "$@"
  log "starting docker-registry $name on $REGISTRY_ADDR:$port"
  nohup docker-registry serve "$registry_dir/$name.yml" >"/var/log/corral-registry-$name.log" 2>&1 &
  echo $! >"$registry_dir/$name.pid"
  for _ in $(seq 1 30); do
    curl -s -o /dev/null --max-time 2 "http://$REGISTRY_ADDR:$port/v2/" && return
    sleep 0.5
  done
  tail -n 20 "/var/log/corral-registry-$name.log" >&2
  die "docker-registry $name did not answer on $REGISTRY_ADDR:$port"
}
registry_up open "$REGISTRY_OPEN_PORT" no
registry_up auth "$REGISTRY_AUTH_PORT" yes
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY_ADDR:$REGISTRY_AUTH_PORT/v2/")
[ "$code" = 401 ] || die "the auth registry answered $code without credentials (expected 401)"

# The local dockerd pulls from it over plain HTTP: insecure-registries in daemon.json, which a
# running dockerd reloads on SIGHUP.
daemon_json=/etc/docker/daemon.json
want="$REGISTRY_ADDR:$REGISTRY_OPEN_PORT $REGISTRY_ADDR:$REGISTRY_AUTH_PORT"
if ! docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -q "\"$REGISTRY_ADDR:$REGISTRY_AUTH_PORT\""; then
  mkdir -p /etc/docker
  node -e '
    const fs = require("fs"); const [file, ...want] = process.argv.slice(1);
    let cfg = {}; try { cfg = JSON.parse(fs.readFileSync(file, "utf8")); } catch {}
    cfg["insecure-registries"] = [...new Set([...(cfg["insecure-registries"] ?? []), ...want])];
    fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + "\n");
  ' "$daemon_json" $want
  kill -HUP "$(cat /var/run/docker.pid)"
  for _ in $(seq 1 20); do
    docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -q "\"$REGISTRY_ADDR:$REGISTRY_AUTH_PORT\"" && break
    sleep 0.5
  done
  docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -q "\"$REGISTRY_ADDR:$REGISTRY_AUTH_PORT\"" \
    || die "dockerd did not take $REGISTRY_ADDR as an insecure registry (see $daemon_json)"
fi

# The test image in the registry: built here FROM the imported busybox (two layers), pushed with the
# docker CLI. Tests pull corral/pullme:1 (and by its digest); nothing else is ever pushed here.
pushed="$REGISTRY_ADDR:$REGISTRY_OPEN_PORT/corral/pullme:1"
if ! curl -sf -o /dev/null --max-time 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REGISTRY_ADDR:$REGISTRY_OPEN_PORT/v2/corral/pullme/manifests/1"; then
  ctx=$(mktemp -d)
  head -c 262144 /dev/urandom >"$ctx/payload.bin"
  printf 'FROM %s\nCOPY payload.bin /payload.bin\nLABEL org.corral.test=pullme\nCMD ["/bin/sh", "-c", "sleep 3600"]\n' "$image" >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$pushed" "$ctx" >/dev/null 2>&1 || die "docker build of $pushed failed"
  rm -rf "$ctx"
  docker push -q "$pushed" >/dev/null || die "docker push $pushed failed"
  docker image rm "$pushed" >/dev/null
fi
log "registry $REGISTRY_ADDR:$REGISTRY_OPEN_PORT (open), :$REGISTRY_AUTH_PORT (htpasswd) with corral/pullme:1"

# --- Postgres ---------------------------------------------------------------------------
# Integration tests and benchmarks use this machine's Postgres (127.0.0.1:5432, user postgres, no
# password) unless TEST_DATABASE_URL names another: started, or installed from Debian, when missing.
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  PG_JUST_INSTALLED=$pg_just_installed postgres_up
else
  log "TEST_DATABASE_URL is set: leaving this machine's Postgres alone"
fi
