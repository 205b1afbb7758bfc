#!/usr/bin/env bash
# The real engines the tests need, started on loopback under one state folder: a PostgreSQL cluster (the shared
# store's tests) and a one-node Slurm (slurmctld + slurmd + munge; the fleet tests). Prints the variables the
# tests read, for eval:
#   eval "$(scripts/start_test_services.sh start)"    # both; or `postgres` / `slurm` alone
#   scripts/start_test_services.sh stop
# The store tests also call it back: pg-kill9 (SIGKILL to the postmaster and every backend), pg-start,
# pg-restart. State lives in $ROOFLINE_SERVICES_DIR (default /tmp/roofline-services-$UID).
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user (Debian's package makes
# it) and runs through runuser; otherwise it runs as the caller.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
state="${ROOFLINE_SERVICES_DIR:-/tmp/roofline-services-$(id -u)}"
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
pgdata="$state/pg/data"
pglog="$state/pg/server.log"

log() { echo "start_test_services: $*" >&2; }

as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    local p
    for p in $(seq "$1" $(($1 + 200))); do
        if port_free "$p"; then
            echo "$p"
            return
        fi
    done
    log "no free port from $1"
    exit 1
}

pg_url() { echo "postgresql://roofline@127.0.0.1:$(cat "$state/pg/port")/postgres"; }

pg_start() {
    [[ -n "$pgbin" ]] || { log "PostgreSQL is not installed (scripts/install_deps.sh --test installs it)"; exit 1; }
    if [[ -f "$pgdata/postmaster.pid" ]] && as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
        return
    fi
    if [[ ! -f "$pgdata/PG_VERSION" ]]; then
        mkdir -p "$state/pg"
        [[ $(id -u) -ne 0 ]] || chown postgres "$state/pg"
        free_port 54320 >"$state/pg/port"
        as_pg "$pgbin/initdb" -D "$pgdata" -U roofline --auth=trust -E UTF8 --no-instructions >"$state/pg/initdb.log"
        cat >>"$pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $(cat "$state/pg/port")
unix_socket_directories = '$state/pg'
max_connections = 200
shared_buffers = 32MB
CONF
    fi
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pglog" -w -t 60 start >/dev/null ||
        { log "PostgreSQL did not start; its log:"; tail -20 "$pglog" >&2; exit 1; }
}

pg_kill9() {
    local pm
    pm="$(head -1 "$pgdata/postmaster.pid")"
    # The postmaster and its backends, by id (a crash of the whole server, not a shutdown).
    local kids
    kids="$(ps -o pid= --ppid "$pm" || true)"
    kill -9 "$pm" $kids 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pm" 2>/dev/null || break
        sleep 0.05
    done
}

pg_stop() {
    [[ -f "$pgdata/postmaster.pid" ]] || return 0
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
}

slurm_start() { "$here/start_test_slurm.sh" start "$state/slurm" "$(pg_url)"; }
slurm_stop() { [[ ! -d "$state/slurm" ]] || "$here/start_test_slurm.sh" stop "$state/slurm"; }

print_pg() {
    echo "export ROOFLINE_TEST_POSTGRES_URL='$(pg_url)'"
    echo "export ROOFLINE_TEST_SERVICES='$here/start_test_services.sh'"
    echo "export ROOFLINE_SERVICES_DIR='$state'"
}

case "${1:-start}" in
start)
    pg_start
    print_pg
    slurm_start
    ;;
postgres)
    pg_start
    print_pg
    ;;
slurm)
    pg_start
    print_pg
    slurm_start
    ;;
pg-kill9) pg_kill9 ;;
pg-start) pg_start ;;
pg-restart) as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pglog" -m fast -w -t 60 restart >/dev/null ;;
stop)
    slurm_stop
    pg_stop
    ;;
*)
    echo "usage: $0 start|postgres|slurm|stop|pg-kill9|pg-start|pg-restart" >&2
    exit 2
    ;;
esac
