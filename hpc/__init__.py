"""Cluster profiles, sbatch templates, submission and tracking (reached as ``emergent_py.hpc``)."""
