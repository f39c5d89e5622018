#!/usr/bin/env bash
# Makes sure a Postgres answers on 127.0.0.1:5432 for the tests and the benchmarks (user postgres,
# no password over loopback). One that answers is left alone; this machine's Debian cluster on 5432
# is started when it is down; without one, Debian's `postgresql` is installed and a cluster made.
# Called by scripts/engines-up.sh; needs root. Sourcing it only defines the functions (for tests).
set -euo pipefail

PG_PORT=${PG_PORT:-5432}
# Where Debian keeps each cluster's configuration (pg_hba.conf), /etc/postgresql/<version>/<cluster>.
PG_CONF_ROOT=${PG_CONF_ROOT:-/etc/postgresql}
PG_HBA_MARK='# corral (scripts/postgres-up.sh): tests and benchmarks connect as postgres over loopback without a password'

pg_log() { printf '[postgres] %s\n' "$*"; }
pg_die() {
  printf '[postgres] error: %s\n' "$*" >&2
  exit 1
}

# yes when a server accepts connections on 127.0.0.1:$PG_PORT (a TCP probe when pg_isready is missing).
pg_answering() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 3 && echo yes || echo no
  else
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PG_PORT" 2>/dev/null && echo yes || echo no
  fi
}

# yes when Debian's postgresql package (server and cluster tools) is installed.
pg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' postgresql 2>/dev/null)" = installed ] && command -v pg_lsclusters >/dev/null \
    && echo yes || echo no
}

# What to do, from whether 127.0.0.1:$PG_PORT answers, whether the package is installed, and the
# output of `pg_lsclusters -h` (version cluster port status owner datadir log). Prints one of:
#   ready | install | create | start VERSION CLUSTER | broken VERSION CLUSTER
pg_plan() {
  local answering=$1 installed=$2 clusters=$3 line version cluster status
  if [ "$answering" = yes ]; then
    echo ready
    return
  fi
  if [ "$installed" != yes ]; then
    echo install
    return
  fi
  line=$(pg_cluster_on_port "$clusters")
  if [ -z "$line" ]; then
    echo create
    return
  fi
  read -r version cluster status <<<"$line"
  # A cluster that runs on the port but does not answer on 127.0.0.1 listens elsewhere: not ours to change.
  if [ "$status" = online ]; then
    echo "broken $version $cluster"
  else
    echo "start $version $cluster"
  fi
}

pg_install() {
  command -v apt-get >/dev/null || pg_die "no Postgres on 127.0.0.1:$PG_PORT and no apt-get to install one: start one (user postgres, trust on loopback) or set TEST_DATABASE_URL"
  pg_log "installing Debian's postgresql"
  local apt_log=${PG_APT_LOG:-/var/log/corral-apt.log}
  export DEBIAN_FRONTEND=noninteractive
  timeout 150 apt-get update -q >>"$apt_log" 2>&1 || {
    tail -n 20 "$apt_log" >&2
    pg_die "apt-get update failed (log: $apt_log)"
  }
  timeout 300 apt-get install -y -q --no-install-recommends postgresql >>"$apt_log" 2>&1 || {
    tail -n 30 "$apt_log" >&2
    pg_die "apt-get install postgresql failed (log: $apt_log)"
  }
}

# The newest server version installed (/usr/lib/postgresql/<version>), for a new cluster.
pg_newest_version() {
  local root=${PG_LIB_ROOT:-/usr/lib/postgresql}
  find "$root" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n 1
}

# Lets the postgres user in over loopback without a password, in a cluster this script installed or made.
pg_trust_loopback() {
  local hba="$PG_CONF_ROOT/$1/$2/pg_hba.conf"
  [ -f "$hba" ] || pg_die "$hba is missing"
  grep -qF "$PG_HBA_MARK" "$hba" && return 0
  local tmp
  tmp=$(mktemp)
  # First match wins in pg_hba.conf: these lines go before Debian's password rules.
  printf '%s\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust\n' "$PG_HBA_MARK" >"$tmp"
  cat "$hba" >>"$tmp"
  cat "$tmp" >"$hba"
  rm -f "$tmp"
}

pg_start() {
  pg_log "starting cluster $1/$2"
  timeout 60 pg_ctlcluster "$1" "$2" start || pg_die "pg_ctlcluster $1 $2 start failed (log: /var/log/postgresql/postgresql-$1-$2.log)"
}

# Waits until 127.0.0.1:$PG_PORT answers and takes the postgres user without a password.
pg_check() {
  local _
  for _ in $(seq 1 30); do
    [ "$(pg_answering)" = yes ] && break
    sleep 1
  done
  [ "$(pg_answering)" = yes ] || pg_die "nothing answers on 127.0.0.1:$PG_PORT after starting the cluster"
  if command -v psql >/dev/null && ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -w -Atqc 'select 1' >/dev/null 2>&1; then
    pg_die "127.0.0.1:$PG_PORT answers but user postgres cannot log in without a password: add 'host all postgres 127.0.0.1/32 trust' to its pg_hba.conf, or set TEST_DATABASE_URL"
  fi
}

# The cluster on $PG_PORT in `pg_lsclusters -h` output, as "version cluster status"; empty when none.
pg_cluster_on_port() {
  awk -v port="$PG_PORT" '$3 == port { print $1, $2, $4; exit }' <<<"$1"
}

postgres_up() {
  local plan version cluster status
  plan=$(pg_plan "$(pg_answering)" "$(pg_installed)" "$(pg_lsclusters -h 2>/dev/null || true)")
  # PG_JUST_INSTALLED=yes: the caller installed the package just now (engines-up.sh, with its others).
  if [ "$plan" = install ] || [ "${PG_JUST_INSTALLED:-no}" = yes ]; then
    [ "$plan" = install ] && pg_install
    [ "$(pg_installed)" = yes ] || pg_die "postgresql is still not installed after apt-get install"
    # The package makes a cluster on 5432 when the port is free, and may start it: let the tests in.
    read -r version cluster status <<<"$(pg_cluster_on_port "$(pg_lsclusters -h 2>/dev/null || true)")"
    if [ -n "${cluster:-}" ]; then
      pg_trust_loopback "$version" "$cluster"
      if [ "$status" = online ]; then
        timeout 60 pg_ctlcluster "$version" "$cluster" reload || pg_die "pg_ctlcluster $version $cluster reload failed"
      fi
    fi
    plan=$(pg_plan "$(pg_answering)" yes "$(pg_lsclusters -h 2>/dev/null || true)")
  fi
  case "$plan" in
    ready) ;;
    create)
      version=$(pg_newest_version)
      [ -n "$version" ] || pg_die "postgresql is installed but no server version was found under /usr/lib/postgresql"
      pg_log "creating cluster $version/corral on port $PG_PORT"
      pg_createcluster "$version" corral --port "$PG_PORT" >/dev/null || pg_die "pg_createcluster $version corral failed"
      pg_trust_loopback "$version" corral
      pg_start "$version" corral
      ;;
    start\ *)
      read -r _ version cluster <<<"$plan"
      pg_start "$version" "$cluster"
      ;;
    broken\ *)
      read -r _ version cluster <<<"$plan"
      pg_die "cluster $version/$cluster is online on port $PG_PORT but 127.0.0.1:$PG_PORT does not answer: check listen_addresses in $PG_CONF_ROOT/$version/$cluster/postgresql.conf"
      ;;
    *) pg_die "unexpected plan '$plan'" ;;
  esac
  pg_check
  pg_log "postgres on 127.0.0.1:$PG_PORT"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ "$(id -u)" = 0 ] || pg_die "run as root (it may install and start Postgres)"
  postgres_up
fi
