#!/usr/bin/env bash
# Install emergent_py and run the main job end to end on the native core (no emergent, no
# cluster): validate the model, train it to criterion into an HDF5 run file, plot its learning
# curve, and render (not submit) the SLURM job that would run it on Stampede3.
# Usage: scripts/main.sh [SPEC]   (default: projects/RandomAssoc); outputs go to out/
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-projects/RandomAssoc}
name=$(basename "$spec" .py)
bash scripts/setup.sh plot
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p out
emergent-py validate "$spec"
emergent-py run "$spec" -o "out/$name.h5" --overwrite
emergent-py plot "out/$name.h5" -o "out/$name.png" --overwrite
emergent-py submit "$spec" --cluster stampede3 -p skx -N 1 -n 1 -t 00:30:00 -o "out/jobs" --dry-run --overwrite \
  > "out/$name.stampede3.txt"
echo "main job done: out/$name.h5 (run file), out/$name.png (learning curve)," \
     "out/jobs/ (rendered Stampede3 job; script also in out/$name.stampede3.txt)"
