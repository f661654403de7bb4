#!/usr/bin/env bash
# Installs (Debian's slurm-wlm and munge), configures and starts a one-node
# Slurm cluster on this machine, as root and without systemd: munged,
# slurmctld and slurmd, all on 127.0.0.1. Idempotent: what already runs is
# left alone, and the script returns at once when the node is already idle.
# It waits until the node is idle (ready for jobs). scripts/slurm_stop.sh
# stops the daemons again (by pid).
#
# Environment:
#   SLURM_NODE_CPUS   CPUs the node advertises (default 32, more than it has:
#                     every rank of a trial is one task of one CPU)
#   TUNER_SLURM_DIR   state, pid and log files (default /var/lib/tuner-slurm)
# The configuration is written to /etc/slurm/slurm.conf, where the client
# commands (sbatch, squeue, ...) look by default; an existing slurm.conf that
# this script did not write is never replaced.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "slurm_start.sh: must run as root" >&2
  exit 1
fi

STATE=${TUNER_SLURM_DIR:-/var/lib/tuner-slurm}
CPUS=${SLURM_NODE_CPUS:-32}
NODE=$(hostname -s)
CONF=/etc/slurm/slurm.conf
MARK="# Written by tuner's scripts/slurm_start.sh"

log() { echo "slurm_start.sh: $*" >&2; }

pid_alive() {  # pid file, program name
  local pid
  [[ -s $1 ]] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ -n $pid && -d /proc/$pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]]
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1; }

# ---------------------------------------------------------------- fast path
if [[ -f $CONF ]] && grep -qF "$MARK" "$CONF" && pid_alive /run/munge/munged.pid munged &&
  pid_alive "$STATE/slurmctld.pid" slurmctld && pid_alive "$STATE/slurmd.pid" slurmd &&
  [[ $(node_state) == idle* || $(node_state) == mixed* || $(node_state) == allocated* ]]; then
  log "already running (node $NODE $(node_state))"
  exit 0
fi

# ---------------------------------------------------------------- install
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  # Package scripts cannot start services here (no systemd): tell invoke-rc.d
  # not to try, for the duration of the install only.
  policy_added=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_added=yes
  fi
  trap '[[ -n $policy_added ]] && rm -f /usr/sbin/policy-rc.d' EXIT
  if ! apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
  fi
  [[ -n $policy_added ]] && rm -f /usr/sbin/policy-rc.d
  policy_added=""
fi

# ---------------------------------------------------------------- munge
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  log "creating /etc/munge/munge.key"
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! pid_alive /run/munge/munged.pid munged; then
  log "starting munged"
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
fi

# ---------------------------------------------------------------- config
mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d"
if [[ -f $CONF ]] && ! grep -qF "$MARK" "$CONF"; then
  log "$CONF exists and was not written by this script: using it as it is"
else
  new_conf=$(
    cat <<EOF
$MARK: a one-node cluster on 127.0.0.1.
ClusterName=tuner
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
SchedulerParameters=batch_sched_delay=0
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  )
  if [[ ! -f $CONF ]] || [[ $(cat "$CONF") != "$new_conf" ]]; then
    printf '%s\n' "$new_conf" >"$CONF"
    conf_changed=yes
  fi
fi

# ---------------------------------------------------------------- daemons
if ! pid_alive "$STATE/slurmctld.pid" slurmctld; then
  log "starting slurmctld"
  slurmctld
fi
for _ in $(seq 1 100); do
  scontrol ping 2>/dev/null | grep -q UP && break
  sleep 0.1
done
if ! pid_alive "$STATE/slurmd.pid" slurmd; then
  log "starting slurmd"
  slurmd
fi
if [[ -n ${conf_changed:-} ]]; then
  scontrol reconfigure >/dev/null 2>&1 || true  # daemons that were already running
fi

# ---------------------------------------------------------------- wait idle
for i in $(seq 1 300); do
  state=$(node_state)
  case $state in
    idle* | mixed* | allocated*)
      log "node $NODE is $state"
      exit 0
      ;;
    down* | drain*)
      # e.g. "Node unexpectedly rebooted" after the daemons were restarted.
      scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
      ;;
  esac
  sleep 0.1
done
log "node $NODE did not become idle (state: ${state:-unknown}); see $STATE/slurmctld.log and $STATE/slurmd.log"
exit 1
