#!/usr/bin/env bash
# stop.sh - stop the daemons started by scripts/slurm/start.sh, by PID (pid files).
# Cancels all jobs first (so no slurmstepd/job processes are left behind).
#   --purge   also delete slurmctld state, slurmd spool, logs (next start is pristine)
#   --keep-munge  leave munged running
set -uo pipefail
purge=0; keep_munge=0
for a in "$@"; do case $a in --purge) purge=1 ;; --keep-munge) keep_munge=1 ;; *) echo "unknown arg $a" >&2; exit 2 ;; esac; done

log() { printf '[slurm-stop %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop_pidfile() { # name pidfile
  local name=$1 pf=$2 pid
  if alive "$pf"; then
    pid=$(cat "$pf"); kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; log "$name (pid $pid) killed"; else log "$name (pid $pid) stopped"; fi
  else
    log "$name not running"
  fi
  rm -f "$pf"
}

# 1. cancel every job and wait until no job step daemons are left
if alive /run/slurmctld.pid && command -v squeue >/dev/null; then
  jobs=$(squeue -h -o %A -t PD,R,CG,S,CF 2>/dev/null | sort -u | tr '\n' ' ')
  if [[ -n ${jobs// } ]]; then
    log "cancelling jobs: $jobs"; scancel $jobs 2>/dev/null || true
    for _ in $(seq 150); do
      [[ -z $(squeue -h -t PD,R,CG,S,CF 2>/dev/null) ]] && break; sleep 0.2
    done
  fi
fi
# slurmstepd processes (one per job step, forked by our slurmd): give them a
# moment to exit after the cancel.  /proc scan instead of pgrep: a bare
# container may have no procps.
stepds() { local f; for f in /proc/[0-9]*/comm; do [[ $(cat "$f" 2>/dev/null) == slurmstepd ]] && { f=${f#/proc/}; echo "${f%/comm}"; }; done; }
for _ in $(seq 50); do [[ -z $(stepds) ]] && break; sleep 0.1; done
for pid in $(stepds); do log "killing leftover slurmstepd pid $pid"; kill -KILL "$pid" 2>/dev/null; done

# 2. daemons, reverse start order
stop_pidfile slurmd /run/slurmd.pid
stop_pidfile slurmctld /run/slurmctld.pid
((keep_munge)) || stop_pidfile munged /run/munge/munged.pid

if ((purge)); then
  rm -rf /var/spool/slurmctld/* /var/spool/slurmd/* /var/log/slurm/*
  log "purged slurm state, spool and logs"
fi
