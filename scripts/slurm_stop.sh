#!/usr/bin/env bash
# Stops the one-node Slurm cluster that scripts/slurm_start.sh started: cancels
# every job first (or their steps would outlive slurmd), then stops slurmd,
# slurmctld and munged by the pids in their pid files. Idempotent.
set -uo pipefail

STATE=${TUNER_SLURM_DIR:-/var/lib/tuner-slurm}

log() { echo "slurm_stop.sh: $*" >&2; }

pid_of() {  # pid file, program name: the pid if that program runs
  local pid
  [[ -s $1 ]] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ -n $pid && -d /proc/$pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  echo "$pid"
}

stop() {  # pid file, program name
  local pid
  pid=$(pid_of "$1" "$2") || return 0
  log "stopping $2 ($pid)"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    [[ -d /proc/$pid ]] || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
}

if pid_of "$STATE/slurmctld.pid" slurmctld >/dev/null; then
  jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
  if [[ -n ${jobs// /} ]]; then
    log "cancelling jobs: $jobs"
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null
    for _ in $(seq 1 150); do
      [[ -z $(squeue -h -o %A 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
fi
stop "$STATE/slurmd.pid" slurmd
stop "$STATE/slurmctld.pid" slurmctld
stop /run/munge/munged.pid munged
exit 0
