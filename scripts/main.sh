#!/usr/bin/env bash
# Install emergent_py and run the main job end to end on the native core (no emergent, no cluster).
# Usage: scripts/main.sh [SPEC]   (default: projects/RandomAssoc)
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-projects/RandomAssoc}
bash scripts/setup.sh plot
.venv/bin/emergent-py validate "$spec"
.venv/bin/emergent-py show --changed "$spec"
