#!/usr/bin/env bash
# Set up emergent_py on a fresh Debian/Ubuntu machine: system packages, a virtual environment in
# .venv, and the package (editable) with the extras named in $EMERGENT_PY_EXTRAS (default: plot).
# Idempotent: re-running only installs what is missing.  Usage: scripts/setup.sh [extras]
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-${EMERGENT_PY_EXTRAS:-plot}}
log() { printf '[setup] %s\n' "$*" >&2; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {   # install the Debian packages that are not there yet
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null; then apt_install python3 python3-venv; fi
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "emergent_py needs Python >= 3.11 ($PY is $("$PY" -V 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then apt_install python3-venv; fi
# a C compiler builds the native core's cycle kernel (emergent_py/leabra/kernel.c) on first use;
# without one the core runs its numpy steps (several times slower at small sizes)
if ! command -v cc >/dev/null; then apt_install gcc libc6-dev; fi
case ",$extras," in *,mpi,*) apt_install openmpi-bin libopenmpi-dev ;; esac
# h5dump: the tests read killed run files with it (docs/runfile.md, "Crash safety")
case ",$extras," in *,test,*) apt_install hdf5-tools ;; esac

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
log "pip install -e .[$extras]"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".[$extras]"
log "ready: .venv/bin/emergent-py"
