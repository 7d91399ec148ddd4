"""Standard Leabra benchmark on the native core: ``python benchmarks/bench_leabra.py [SIZES]``.

Same as ``emergent-py bench``; prints ms/trial, ns/synapse/trial, peak memory, the dense-matvec
baseline measured in the same run and the ratio to C++ emergent 8.6.1 (one thread)."""
import sys

from emergent_py.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *(["--sizes", sys.argv[1]] if len(sys.argv) > 1 else [])]))
