#!/usr/bin/env bash
# scripts/slurm/start.sh - bring up a REAL single-node SLURM cluster on this machine
# (munged + slurmctld + slurmd as plain background daemons, no systemd) for emergent_py's
# `slurm` tests and for trying `emergent-py submit --cluster local`.
#
# Partitions: `local` (default) plus every partition named in hpc/profiles/*.toml (Comet,
# Expanse, Stampede2, Stampede3), each with the longest max_time any site gives it, all on the
# one local node, so scripts rendered for a real site submit here unchanged (with the ibrun /
# module shims of scripts/slurm/shims first on PATH). The node advertises at least the local
# profile's cores_per_node CPUs (jobs share the real cores) so a few small test jobs run at once.
#
# Idempotent: re-running it when everything is already up just re-checks
# `sinfo` and exits.  Works on a bare Debian 12 (bookworm) container as root:
# it apt-get installs slurmctld/slurmd/slurm-client/munge (+ Open MPI unless
# SLURM_INSTALL_MPI=0).
#
# Knobs (environment variables, all optional):
#   SLURM_INSTALL_MPI=1        also install openmpi-bin + libopenmpi-dev + gcc (mpicc works)
#   SLURM_EXTRA_PKGS="..."     more apt packages, e.g. "libhdf5-openmpi-dev pkg-config"
#                              for building parallel h5py
#   SLURM_NODE_CPUS=N          advertise N CPUs instead of the real count (fake a
#                              bigger node, e.g. 24 for Comet-like scripts). Uses
#                              SlurmdParameters=config_overrides; jobs really share
#                              the real cores.
#   SLURM_NODE_MEM_MB=M        advertise M MB RealMemory instead of the real amount.
#   SLURM_FAKE_GPUS=spec       advertise fake GPUs (GRES, no devices) so scripts with
#                              --gres=gpu:p100:1 / --gpus=1 are accepted, e.g.
#                              "4" (untyped) or "k80:4,p100:4" (Comet's types).
#   SLURM_HPC_PARTITIONS=1     also create the site partitions read from hpc/profiles/*.toml
#   SLURM_FRESH=1              wipe slurmctld state (jobs, job ids) whenever slurmctld
#                              is (re)started by this script.
#   SLURM_WAIT_S=60            how long to wait for the node to become idle.
#   SLURM_NODE_NAME=<short hostname>
set -euo pipefail

SLURM_INSTALL_MPI=${SLURM_INSTALL_MPI:-1}
SLURM_HPC_PARTITIONS=${SLURM_HPC_PARTITIONS:-1}
SLURM_FRESH=${SLURM_FRESH:-1}
SLURM_WAIT_S=${SLURM_WAIT_S:-60}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROFILES=${SLURM_PROFILES_DIR:-$HERE/../../hpc/profiles}
NODE=${SLURM_NODE_NAME:-$(hostname -s 2>/dev/null || cut -d. -f1 /proc/sys/kernel/hostname)}

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
LOG_DIR=/var/log/slurm
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid
MUNGE_KEY=/etc/munge/munge.key

log() { printf '[slurm-start %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

[[ $(id -u) -eq 0 ]] || die "must run as root"

# ---------------------------------------------------------------- 0. systemd?
# We never use systemd: in containers PID 1 is usually not systemd (here it is
# a firecracker init).  Just report it.
if [[ $(cat /proc/1/comm 2>/dev/null) == systemd ]]; then
  log "note: systemd is PID 1, but daemons are started directly anyway"
fi

# ---------------------------------------------------------------- 1. install
need=()
command -v slurmctld >/dev/null || need+=(slurmctld)
command -v slurmd    >/dev/null || need+=(slurmd)
command -v sbatch    >/dev/null || need+=(slurm-client)
command -v munged    >/dev/null || need+=(munge)
command -v python3 >/dev/null || command -v python >/dev/null || need+=(python3)   # reads hpc/profiles
if [[ $SLURM_INSTALL_MPI == 1 ]]; then
  command -v mpicc  >/dev/null || need+=(libopenmpi-dev)
  command -v mpirun >/dev/null || need+=(openmpi-bin)
  command -v gcc    >/dev/null || need+=(gcc)   # mpicc wraps `gcc`; libopenmpi-dev only pulls gcc-12
fi
for p in ${SLURM_EXTRA_PKGS:-}; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if ((${#need[@]})); then
  t0=$SECONDS
  log "apt-get installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # keep package postinst scripts from starting munge/slurm via init.d
  made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  trap '[[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt_opts=(-y -qq --no-install-recommends -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confold)
  if ! apt-get install "${apt_opts[@]}" "${need[@]}" >/tmp/start-slurm-apt.log 2>&1; then
    apt-get update -qq >>/tmp/start-slurm-apt.log 2>&1
    apt-get install "${apt_opts[@]}" "${need[@]}" >>/tmp/start-slurm-apt.log 2>&1 \
      || { tail -30 /tmp/start-slurm-apt.log >&2; die "apt-get install failed (log: /tmp/start-slurm-apt.log)"; }
  fi
  [[ $made_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
  trap - EXIT
  log "installed in $((SECONDS - t0)) s"
fi

# ---------------------------------------------------------------- 2. slurm.conf
# Bare chroots/containers may lack /etc/hosts: slurmd then cannot resolve the
# controller ("Unable to resolve localhost") and munged warns about its origin.
getent hosts localhost >/dev/null || echo "127.0.0.1 localhost" >>/etc/hosts
getent hosts "$NODE" >/dev/null || echo "127.0.0.1 $NODE" >>/etc/hosts

# Real hardware as slurmd sees it (works without a slurm.conf).
hw=$(slurmd -C 2>/dev/null | head -1)
hwval() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$hw"; }
CPUS=$(hwval CPUs); SOCKETS=$(hwval SocketsPerBoard); CORES=$(hwval CoresPerSocket)
THREADS=$(hwval ThreadsPerCore); MEM=$(hwval RealMemory)
[[ -n $CPUS && -n $MEM ]] || { CPUS=$(nproc); MEM=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 )); SOCKETS=; }

# The local profile's cores_per_node is what tests may ask for; advertise at least that.
PY=$(command -v python3 || command -v python || true)
[[ -n $PY ]] || die "python3 is needed to read $PROFILES"
want_cpus=$("$PY" - "$PROFILES/local.toml" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print(max(p["cores_per_node"] for p in tomllib.load(f)["partitions"].values()))
EOF
) || die "cannot read $PROFILES/local.toml"
if [[ -z ${SLURM_NODE_CPUS:-} ]] && ((want_cpus > CPUS)); then SLURM_NODE_CPUS=$want_cpus; fi

node_line="NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE"
overrides=""
if [[ -n ${SLURM_NODE_CPUS:-} || -n ${SLURM_NODE_MEM_MB:-} ]]; then
  node_line+=" CPUs=${SLURM_NODE_CPUS:-$CPUS} RealMemory=${SLURM_NODE_MEM_MB:-$MEM}"
  overrides="SlurmdParameters=config_overrides"
elif [[ -n $SOCKETS ]]; then
  node_line+=" CPUs=$CPUS Boards=1 SocketsPerBoard=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM"
else
  node_line+=" CPUs=$CPUS RealMemory=$MEM"
fi
gres_conf=""
if [[ -n ${SLURM_FAKE_GPUS:-} ]]; then
  # slurmd counts GPUs from their device files, so give it placeholder files
  # (plain files, nothing real behind them; CUDA_VISIBLE_DEVICES still gets set).
  gres_list=""; gpu_i=0; mkdir -p /run/slurm-fake-gpu
  IFS=, read -ra specs <<<"$SLURM_FAKE_GPUS"
  for sp in "${specs[@]}"; do
    if [[ $sp == *:* ]]; then t=${sp%%:*}; c=${sp##*:}; else t=""; c=$sp; fi
    last=$((gpu_i + c - 1))
    for i in $(seq "$gpu_i" "$last"); do : >"/run/slurm-fake-gpu/nvidia$i"; done
    files="/run/slurm-fake-gpu/nvidia[$gpu_i-$last]"; ((c == 1)) && files="/run/slurm-fake-gpu/nvidia$gpu_i"
    gres_conf+="NodeName=$NODE Name=gpu${t:+ Type=$t} File=$files"$'\n'
    gres_list+="${gres_list:+,}gpu${t:+:$t}:$c"; gpu_i=$((last + 1))
  done
  node_line+=" Gres=$gres_list"
fi
node_line+=" State=UNKNOWN"

partitions="PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO"
if [[ $SLURM_HPC_PARTITIONS == 1 ]]; then
  # Every partition name of every site profile, with the longest max_time any site gives
  # it, all mapped onto the single local node. MaxTime is enforced at submit time
  # (EnforcePartLimits=ALL) like on the real machines.
  site_parts=$("$PY" - "$PROFILES" <<'EOF'
import pathlib, sys, tomllib
def seconds(t):
    days, _, hms = t.rpartition("-")
    h, m, s = (int(x) for x in hms.split(":"))
    return ((int(days or 0) * 24 + h) * 60 + m) * 60 + s
longest = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.toml")):
    with open(path, "rb") as f:
        prof = tomllib.load(f)
    if prof.get("name") == "local":
        continue
    for name, part in prof["partitions"].items():
        longest[name] = max(longest.get(name, 0), seconds(part["max_time"]))
for name, sec in sorted(longest.items()):
    d, r = divmod(sec, 86400)
    print(f"{name} {d}-{r // 3600:02d}:{r % 3600 // 60:02d}:{r % 60:02d}")
EOF
) || die "cannot read the site profiles in $PROFILES"
  while read -r p t; do
    [[ -n $p ]] && partitions+=$'\n'"PartitionName=$p Nodes=ALL MaxTime=$t State=UP"
  done <<<"$site_parts"
fi

mpi_default=none
# Debian's slurm-wlm-basic-plugins ships mpi_pmix (PMIx v4) and mpi_pmi2.
ls /usr/lib/x86_64-linux-gnu/slurm-wlm/mpi_pmix*.so >/dev/null 2>&1 && mpi_default=pmix

new_conf=$(cat <<EOF
# Generated by emergent_py scripts/slurm/start.sh - single-node test cluster (no cgroups, no slurmdbd)
ClusterName=localcluster
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldPort=6817
SlurmdPort=6818
# no cgroups: plain process tracking, no task binding/containment
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
# no slurmdbd: accounting storage off (=> plain sacct fails; "sacct -c" reads the
# jobcomp file below instead); finished jobs
# are logged one line each to the jobcomp file and kept in slurmctld memory for
# MinJobAge seconds (so squeue -t all / scontrol show job still show them)
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG_DIR/jobcomp.log
MinJobAge=3600
MpiDefault=$mpi_default
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
EnforcePartLimits=ALL
ReturnToService=2
KillWait=5
# A requeued job may start again after cred_expire seconds (default 120); the resume test
# requeues one job, so keep that wait short here.
AuthInfo=cred_expire=10
OverTimeLimit=0
InactiveLimit=0
SlurmdTimeout=60
MaxArraySize=10001
${gres_conf:+GresTypes=gpu}
$overrides
$node_line
$partitions
EOF
)

mkdir -p "$CONF_DIR" "$LOG_DIR" "$STATE_DIR" "$SPOOL_DIR"
conf_changed=0
new_gres=$(printf '%s' "$gres_conf")
if [[ -n $new_gres ]]; then
  if [[ "$(cat "$CONF_DIR/gres.conf" 2>/dev/null)" != "$new_gres" ]]; then
    printf '%s\n' "$new_gres" >"$CONF_DIR/gres.conf"; conf_changed=1
  fi
elif [[ -f $CONF_DIR/gres.conf ]]; then
  rm -f "$CONF_DIR/gres.conf"; conf_changed=1
fi
if [[ ! -f $CONF ]] || [[ "$(cat "$CONF")" != "$new_conf" ]]; then
  printf '%s\n' "$new_conf" >"$CONF"
  conf_changed=1
  log "wrote $CONF ($NODE: CPUs=${SLURM_NODE_CPUS:-$CPUS} RealMemory=${SLURM_NODE_MEM_MB:-$MEM} MpiDefault=$mpi_default)"
fi

# ---------------------------------------------------------------- 3. munge
t_start=$SECONDS
getent passwd munge >/dev/null || die "user munge missing (munge package not installed?)"
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge
install -d -o munge -g munge -m 0755 /run/munge /var/log/munge
if [[ ! -s $MUNGE_KEY ]]; then
  if command -v mungekey >/dev/null; then mungekey --create --keyfile="$MUNGE_KEY" --force
  else dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none; fi
  log "created $MUNGE_KEY"
fi
chown munge:munge "$MUNGE_KEY"; chmod 0400 "$MUNGE_KEY"
if ! alive "$MUNGE_PID"; then
  rm -f "$MUNGE_PID" /run/munge/munge.socket.2*
  runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" \
    || die "munged failed to start (see /var/log/munge/munged.log)"
  log "munged started (pid $(cat "$MUNGE_PID"))"
fi
for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null || die "munge round-trip failed"

# ---------------------------------------------------------------- 4. slurm daemons
if ((conf_changed)) && { alive "$CTLD_PID" || alive "$SLURMD_PID"; }; then
  log "slurm.conf changed: restarting slurm daemons"
  for pf in "$SLURMD_PID" "$CTLD_PID"; do
    if alive "$pf"; then pid=$(cat "$pf"); kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
fi
if ! alive "$CTLD_PID"; then
  if [[ $SLURM_FRESH == 1 ]]; then
    # job ids restart at 1: keep the old completion log apart so `sacct -c -j N` is unambiguous
    rm -rf "${STATE_DIR:?}"/*
    [[ -s $LOG_DIR/jobcomp.log ]] && mv -f "$LOG_DIR/jobcomp.log" "$LOG_DIR/jobcomp.log.prev"
  fi
  rm -f "$CTLD_PID"
  slurmctld -i || die "slurmctld failed (see $LOG_DIR/slurmctld.log)"
  log "slurmctld started (pid $(cat "$CTLD_PID" 2>/dev/null || echo ?))"
fi
if ! alive "$SLURMD_PID"; then
  rm -f "$SLURMD_PID"
  slurmd -N "$NODE" || die "slurmd failed (see $LOG_DIR/slurmd.log)"
  log "slurmd started (pid $(cat "$SLURMD_PID" 2>/dev/null || echo ?))"
fi

# ---------------------------------------------------------------- 5. wait for idle
deadline=$((SECONDS + SLURM_WAIT_S)); resumed=0
while :; do
  state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1 || true)
  case $state in
    idle|mixed|allocated|completing) break ;;
    drain*|down*|fail*)
      if ((!resumed)); then
        log "node is '$state' ($(sinfo -h -n "$NODE" -o %E)); resuming"
        scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true; resumed=1
      fi ;;
  esac
  ((SECONDS < deadline)) || { tail -n 20 "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" >&2; die "node not idle after ${SLURM_WAIT_S}s (state='$state')"; }
  sleep 0.2
done
log "SLURM up in $((SECONDS - t_start)) s: node $NODE is $state"
sinfo -p local 2>/dev/null || sinfo
