#!/usr/bin/env bash
# A one-node Slurm on localhost for the fleet tests: munged, slurmctld and slurmd from Debian's packages, all
# state (configuration, spool, logs, sockets) under one folder, ports chosen free.
#   scripts/start_test_slurm.sh start DIR [POSTGRES_URL]   prints `export SLURM_CONF=...` for eval
#   scripts/start_test_slurm.sh stop DIR
# What a container does not allow is configured around, not faked: no cgroups (ProctrackType=proctrack/linuxproc,
# TaskPlugin=task/none, JobAcctGatherType=jobacct_gather/none, no cgroup.conf), no accounting database
# (AccountingStorageType=accounting_storage/none), daemons as root (SlurmUser=root, SlurmdUser=root) with
# munge as the munge user on a private socket and key.
set -euo pipefail
verb="$1"
dir="$2"
log() { echo "start_test_slurm: $*" >&2; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p
    for p in $(seq "$1" $(($1 + 200))); do
        if port_free "$p" && [[ "$p" != "${2:-}" ]]; then
            echo "$p"
            return
        fi
    done
    log "no free port from $1"
    exit 1
}
stop_pidfile() {
    [[ -f "$1" ]] || return 0
    local pid
    pid="$(cat "$1")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    rm -f "$1"
}

if [[ "$verb" == stop ]]; then
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    stop_pidfile "$dir/munge/munged.pid"
    exit 0
fi
[[ "$verb" == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { log "the test Slurm runs its daemons as root (slurmd must start jobs); run as root"; exit 1; }
for b in munged mungekey slurmctld slurmd sbatch; do
    command -v "$b" >/dev/null || [[ -x "/usr/sbin/$b" ]] ||
        { log "$b is missing (scripts/install_deps.sh --test installs slurm-wlm and munge)"; exit 1; }
done
export PATH="/usr/sbin:$PATH"
mkdir -p "$dir"/{ctld,spool,munge}
conf="$dir/slurm.conf"
if [[ -f "$dir/slurmctld.pid" ]] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    echo "export SLURM_CONF='$conf'"
    exit 0
fi

# munge: a private key and socket, run by the munge user (munged refuses root).
chown munge: "$dir/munge"
chmod 755 "$dir/munge" # the socket must be reachable by job steps
[[ -f "$dir/munge/munge.key" ]] || runuser -u munge -- mungekey -c -k "$dir/munge/munge.key"
runuser -u munge -- munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munge.seed"

node="$(hostname -s)"
ctld_port="$(free_port 16817)"
d_port="$(free_port 16818 "$ctld_port")"
cat >"$conf" <<CONF
ClusterName=roofline-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MaxArraySize=1001
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
slurmctld -i -f "$conf" || { log "slurmctld did not start:"; tail -20 "$dir/slurmctld.log" >&2; exit 1; }
slurmd -N "$node" -f "$conf" || { log "slurmd did not start:"; tail -20 "$dir/slurmd.log" >&2; exit 1; }
for _ in $(seq 150); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
        echo "export SLURM_CONF='$conf'"
        exit 0
    fi
    sleep 0.2
done
log "the node did not come up; sinfo says: $(sinfo -h -o '%T %E' 2>&1 || true)"
tail -10 "$dir/slurmctld.log" "$dir/slurmd.log" >&2
exit 1
