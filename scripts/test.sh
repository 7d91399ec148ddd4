#!/usr/bin/env bash
# Install everything the tests need (Open MPI, a one-node SLURM, the package with its test
# extras), start SLURM, and run the whole test suite.  Usage: scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
EMERGENT_PY_EXTRAS=test,mpi,plot,brian,analysis,nsg bash scripts/setup.sh
if [ -x scripts/slurm/start.sh ] || [ -f scripts/slurm/start.sh ]; then
  bash scripts/slurm/start.sh
fi
echo "[test] setup took $(( $(date +%s) - start )) s" >&2
export PATH="$PWD/.venv/bin:$PATH"
exec .venv/bin/python -m pytest -ra --durations=15 "$@"
