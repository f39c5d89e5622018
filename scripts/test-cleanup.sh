#!/usr/bin/env bash
# Removes what an aborted test run may have left behind, so the next run starts clean:
#   - Docker containers, volumes, networks and images labelled corral.test=1
#   - benchmark containers and swarm services labelled corral.bench, and a swarm that the engines
#     benchmark initialised (it records that in /var/lib/corral-bench/swarm-initialised)
#   - LXC containers named corral-test-* in /var/lib/lxc and in each CORRAL_LXC_PATHS entry
#   - fleets recorded under /run/corral-fleet (npm run fleet:down)
#   - network namespaces named corral-test-* and the processes still running in them
#   - throwaway test databases (corral_<purpose>_<random hex>) that nobody is connected to
# Touches nothing without that label or prefix. Needs root. Safe to run when nothing is left.
set -euo pipefail

log() { printf '[cleanup] %s\n' "$*"; }
warn() { printf '[cleanup] warning: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { printf '[cleanup] error: run as root\n' >&2; exit 1; }

label=corral.test=1
bench_label=corral.bench
swarm_marker=${CORRAL_BENCH_STATE_DIR:-/var/lib/corral-bench}/swarm-initialised
prefix=corral-test-
failed=0

# --- Fleets (test/fleet) -----------------------------------------------------------------
# Torn down from their state files first: that also stops their dockerds, containers and mounts,
# which the namespace cleanup below cannot see.
fleet_states=${CORRAL_FLEET_STATE_DIR:-/run/corral-fleet}
if compgen -G "$fleet_states/*.json" >/dev/null; then
  log "tearing down the fleets recorded in $fleet_states"
  timeout 300 node "$(dirname "$0")/fleet.mjs" down || { warn "fleet teardown failed"; failed=1; }
fi

# --- Docker -----------------------------------------------------------------------------
if command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; then
  swarm_state=$(timeout 10 docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' || true)
  if [ -f "$swarm_marker" ]; then
    # A swarm the engines benchmark made: leaving it removes its services too.
    if [ "${swarm_state%% *}" = active ]; then
      log "leaving the swarm the engines benchmark initialised"
      timeout 120 docker swarm leave --force >/dev/null || { warn "docker swarm leave failed"; failed=1; }
    fi
    if grep -q '^gwbridge=created' "$swarm_marker" && timeout 10 docker network inspect docker_gwbridge >/dev/null 2>&1; then
      timeout 60 docker network rm docker_gwbridge >/dev/null || { warn "docker network rm docker_gwbridge failed"; failed=1; }
    fi
    rm -f "$swarm_marker"
  elif [ "$swarm_state" = "active true" ]; then
    mapfile -t ids < <(timeout 30 docker service ls -q --filter "label=$bench_label")
    if [ "${#ids[@]}" -gt 0 ]; then
      log "removing ${#ids[@]} benchmark swarm service(s)"
      timeout 60 docker service rm "${ids[@]}" >/dev/null || { warn "docker service rm failed"; failed=1; }
    fi
  fi
  mapfile -t ids < <(timeout 30 docker ps -aq --filter "label=$bench_label")
  if [ "${#ids[@]}" -gt 0 ]; then
    log "removing ${#ids[@]} benchmark docker container(s)"
    timeout 120 docker rm -f -v "${ids[@]}" >/dev/null || { warn "docker rm failed"; failed=1; }
  fi
  mapfile -t ids < <(timeout 30 docker ps -aq --filter "label=$label")
  if [ "${#ids[@]}" -gt 0 ]; then
    log "removing ${#ids[@]} docker container(s)"
    timeout 120 docker rm -f -v "${ids[@]}" >/dev/null || { warn "docker rm failed"; failed=1; }
  fi
  mapfile -t ids < <(timeout 30 docker volume ls -q --filter "label=$label")
  if [ "${#ids[@]}" -gt 0 ]; then
    log "removing ${#ids[@]} docker volume(s)"
    timeout 60 docker volume rm -f "${ids[@]}" >/dev/null || { warn "docker volume rm failed"; failed=1; }
  fi
  mapfile -t ids < <(timeout 30 docker network ls -q --filter "label=$label")
  if [ "${#ids[@]}" -gt 0 ]; then
    log "removing ${#ids[@]} docker network(s)"
    timeout 60 docker network rm "${ids[@]}" >/dev/null || { warn "docker network rm failed"; failed=1; }
  fi
  mapfile -t ids < <(timeout 30 docker images -q --filter "label=$label" | sort -u)
  if [ "${#ids[@]}" -gt 0 ]; then
    log "removing ${#ids[@]} docker image(s)"
    timeout 60 docker rmi -f "${ids[@]}" >/dev/null || { warn "docker rmi failed"; failed=1; }
  fi
else
  log "docker is not reachable: skipping docker cleanup"
fi

# --- LXC --------------------------------------------------------------------------------
if command -v lxc-ls >/dev/null; then
  lxcpaths=(/var/lib/lxc)
  if [ -n "${CORRAL_LXC_PATHS:-}" ]; then
    IFS=: read -r -a extra <<<"$CORRAL_LXC_PATHS"
    lxcpaths+=("${extra[@]}")
  fi
  for lxcpath in "${lxcpaths[@]}"; do
    [ -d "$lxcpath" ] || continue
    while read -r name; do
      [ -n "$name" ] || continue
      log "destroying lxc container $name in $lxcpath"
      timeout 30 lxc-stop -P "$lxcpath" -n "$name" -k >/dev/null 2>&1 || true
      timeout 60 lxc-destroy -P "$lxcpath" -n "$name" >/dev/null || { warn "lxc-destroy $name failed"; failed=1; }
    done < <(timeout 30 lxc-ls -P "$lxcpath" -1 | grep "^$prefix" || true)
  done
fi

# --- Network namespaces -----------------------------------------------------------------
if command -v ip >/dev/null; then
  while read -r ns; do
    [ -n "$ns" ] || continue
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
    if [ "${#pids[@]}" -gt 0 ]; then
      log "stopping ${#pids[@]} process(es) in netns $ns"
      kill "${pids[@]}" 2>/dev/null || true
      for _ in $(seq 1 20); do
        [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
        sleep 0.5
      done
      mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
      [ "${#pids[@]}" -eq 0 ] || kill -9 "${pids[@]}" 2>/dev/null || true
    fi
    log "deleting netns $ns"
    ip netns delete "$ns" || { warn "ip netns delete $ns failed"; failed=1; }
  done < <(ip netns list 2>/dev/null | awk -v p="$prefix" 'index($1, p) == 1 { print $1 }')
fi

# --- Postgres ---------------------------------------------------------------------------
# Tests create databases with a random suffix and drop them; an aborted run leaves them behind.
# One with a live connection belongs to a run still going, so it stays.
admin_url=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
if command -v psql >/dev/null && timeout 10 psql "$admin_url" -Atqc 'select 1' >/dev/null 2>&1; then
  while read -r db; do
    [ -n "$db" ] || continue
    log "dropping database $db"
    timeout 60 psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null || warn "drop $db failed (in use again?)"
  done < <(timeout 30 psql "$admin_url" -Atc "
    SELECT datname FROM pg_database d
    WHERE datname ~ '^corral_[a-z]+_[0-9a-f]{10,12}$'
      AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)")
else
  log "postgres is not reachable at ${admin_url%%\?*}: skipping database cleanup"
fi

[ "$failed" = 0 ] || { printf '[cleanup] error: some leftovers could not be removed\n' >&2; exit 1; }
log "done"
