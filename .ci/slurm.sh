#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the tests of the slurm executor.
#
#   bash .ci/slurm.sh start    install slurm-wlm and munge if missing, configure, start munged,
#                              slurmctld and slurmd, wait until the node is idle
#   bash .ci/slurm.sh stop     cancel this cluster's jobs, stop exactly the daemons `start` started
#   bash .ci/slurm.sh status   the daemons' PIDs and `sinfo`
#
# Idempotent: `start` on a running cluster does nothing, `stop` on a stopped one does nothing.
# Debian 12's Slurm 22.05; no systemd, so the daemons are started directly. Everything talks over
# loopback (the node's address is 127.0.0.1); jobs run as the user who submits them (root in CI).
# No accounting (sacct is unavailable). The PIDs of the daemons started here go to $PIDS; `stop`
# kills those PIDs and no other process.
set -euo pipefail

CONF=/etc/slurm/slurm.conf
PIDS=/run/careersim-slurm.pids
LOGS=/var/log/slurm
STATE=/var/lib/slurm
NODE=$(hostname -s)
TIMEOUT=${SLURM_START_TIMEOUT:-60}

say() { echo "slurm.sh: $*"; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

pid_of() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
        && command -v sbatch >/dev/null; then
        return
    fi
    say "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    fi
}

node_line() {
    # what this machine has, as slurmd sees it (sockets, cores, threads, memory)
    local c cpus sockets cores threads mem
    c=$(slurmd -C 2>/dev/null | head -n 1)
    field() { echo "$c" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    cpus=$(field CPUs); cpus=${cpus:-$(nproc)}
    sockets=$(field SocketsPerBoard); sockets=${sockets:-1}
    cores=$(field CoresPerSocket); cores=${cores:-$cpus}
    threads=$(field ThreadsPerCore); threads=${threads:-1}
    mem=$(field RealMemory); mem=${mem:-1000}
    echo "NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus Sockets=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$mem State=UNKNOWN"
}

write_config() {
    mkdir -p /etc/slurm "$LOGS" "$STATE/slurmctld" "$STATE/slurmd"
    cat >"$CONF" <<EOF
# written by careersim's .ci/slurm.sh: a one-node cluster on loopback
ClusterName=careersim-ci
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
CommunicationParameters=NoInAddrAny
KillWait=5
MinJobAge=60
$(node_line)
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

munge_key() {
    if [ ! -s /etc/munge/munge.key ]; then
        mkdir -p /etc/munge
        if command -v mungekey >/dev/null; then
            mungekey --create --keyfile=/etc/munge/munge.key --force >/dev/null
        else
            dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
        fi
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
}

fail() {
    # print what went wrong, stop what this call started, fail
    show_logs
    stop
    exit 1
}

record() { echo "$1 $2" >>"$PIDS"; }

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n 1 | tr -d '*~#!%$@^-'; }

show_logs() {
    say "the cluster did not come up; sinfo, then the daemons' logs:"
    sinfo 2>&1 || true
    for f in "$LOGS/slurmctld.log" "$LOGS/slurmd.log" /var/log/munge/munged.log; do
        echo "----- $f"
        tail -n 40 "$f" 2>/dev/null || true
    done
}

start_daemon() {
    # name, pid file, command...: start it unless its pid file names a live process
    local name=$1 pidfile=$2 pid
    shift 2
    pid=$(pid_of "$pidfile")
    if alive "$pid"; then
        say "$name already running (pid $pid)"
        return
    fi
    rm -f "$pidfile"
    "$@"
    for _ in $(seq 100); do
        pid=$(pid_of "$pidfile")
        alive "$pid" && break
        sleep 0.1
    done
    if ! alive "$pid"; then
        say "$name did not start"
        fail
    fi
    record "$name" "$pid"
}

start() {
    local t0 state
    t0=$(date +%s%N)
    install_packages
    munge_key
    if ! alive "$(pid_of /run/slurmctld.pid)"; then
        write_config
    fi
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 0755 /run/munge
    start_daemon munged /run/munge/munged.pid runuser -u munge -- /usr/sbin/munged
    start_daemon slurmctld /run/slurmctld.pid /usr/sbin/slurmctld
    start_daemon slurmd /run/slurmd.pid /usr/sbin/slurmd
    local deadline=$(($(date +%s) + TIMEOUT))
    while :; do
        state=$(node_state || true)
        case "$state" in
            idle | mixed | allocated | completing) break ;;
            down | drained | draining | fail | failing)
                scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
        esac
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "node $NODE not idle after ${TIMEOUT} s (state: ${state:-none})"
            fail
        fi
        sleep 0.5
    done
    local ms=$((($(date +%s%N) - t0) / 1000000))
    say "node $NODE $state, partition debug; start took $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
}

stop() {
    [ -s "$PIDS" ] || { say "nothing to stop"; return 0; }
    # this cluster's jobs first, so that no job's processes outlive the daemons
    if command -v scancel >/dev/null && alive "$(pid_of /run/slurmctld.pid)"; then
        local jobs
        jobs=$(squeue -h -o %i 2>/dev/null || true)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null || true
            for _ in $(seq 40); do
                [ -z "$(squeue -h -o %i 2>/dev/null || true)" ] && break
                sleep 0.25
            done
        fi
    fi
    # in reverse order of starting: slurmd, slurmctld, munged
    local name pid
    tac "$PIDS" | while read -r name pid; do
        if alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
            if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
            say "stopped $name (pid $pid)"
        fi
    done
    rm -f "$PIDS"
}

status() {
    local f pid
    for f in /run/munge/munged.pid /run/slurmctld.pid /run/slurmd.pid; do
        pid=$(pid_of "$f")
        if alive "$pid"; then echo "$f: $pid running"; else echo "$f: not running"; fi
    done
    [ -s "$PIDS" ] && { echo "started by slurm.sh:"; cat "$PIDS"; }
    sinfo 2>/dev/null || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
