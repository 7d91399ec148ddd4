"""Cluster profiles, sbatch templates, submission and tracking (reached as ``emergent_py.hpc``).

* ``profile``: site profiles (``profiles/*.toml`` + user folders), checked field by field.
* ``request``: a resource request checked against a profile -> ``#SBATCH`` lines.
* ``sweep``: ``--sweep`` / ``--seeds`` -> one model per run (a ``sweep`` sheet appended).
* ``render``: jinja2 templates (``templates/*.j2``), every value shell-quoted.
* ``jobfolder``: job folders (manifest, job.sh, runs/NNN) and ``sbatch --parsable``.
* ``slurm``: sbatch / squeue / sacct calls and their parsing.
* ``track``: each run's state (one squeue per poll) and the collected table.
* ``nsg``: the Neuroscience Gateway (NSG-R): credentials, requests, polling, results (docs/nsg.md).
* ``nsg_package``: the job zip NSG runs (model JSON, a wheel of emergent_py, ``nsg_entry.py``).
* ``runstate``: ``python -m emergent_py.hpc.runstate RUN.h5``, how job.sh (re)starts a run.

docs/hpc.md describes the whole workflow.
"""
