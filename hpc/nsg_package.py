"""The job package NSG runs: one zip with one top-level folder (NSG unpacks it and runs the entry
script inside with its ``PY_EXPANSE`` Python).

Layout of ``nsg_job.zip``::

    emergent_py_job/run_sweep.py            the entry script (hpc/nsg_entry.py)
    emergent_py_job/runs.json               the runs (index, folder, sweep values, seed), cores, wheel
    emergent_py_job/model.json              the base model, canonical JSON
    emergent_py_job/runs/NNN/model.json     run NNN's model (sweep sheet appended, seed set)
    emergent_py_job/wheels/ldlc_emergent-<version>-py3-none-any.whl

The wheel is built from emergent_py's source tree with ``pip wheel`` (setuptools; no build
isolation and no index, so nothing is downloaded); it is pure Python: the native core's C kernel
ships as source and is compiled on the node at first use (or the core falls back to numpy).
"""
from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..errors import SubmitError
from ..fileio import atomic_output
from ..spec import Model
from .jobfolder import Job
from .render import MODEL_FILE

TOP = "emergent_py_job"
ENTRY = "run_sweep.py"
ZIP_NAME = "nsg_job.zip"
ENTRY_SOURCE = Path(__file__).resolve().parent / "nsg_entry.py"


def source_tree() -> Path:
    """The folder holding emergent_py's ``setup.cfg`` (a clone, installed editable or not).

    Raises
    ------
    SubmitError
        when emergent_py was installed from a wheel (there is no source to build one from).
    """
    import emergent_py
    root = Path(emergent_py.__file__).resolve().parent.parent
    cfg = root / "setup.cfg"
    if not cfg.is_file() or "name = ldlc-emergent" not in cfg.read_text(encoding="utf-8"):
        raise SubmitError(f"--nsg builds a wheel of emergent_py from its source tree, but {root} has no "
                          "emergent_py setup.cfg (installed from a wheel?); install emergent_py from a clone "
                          "(pip install -e '.[nsg]') and submit again")
    return root


def _package_folders(root: Path) -> list[str]:
    """The top-level folders setup.cfg packages (``packages`` and ``package_dir``), e.g.
    ``emergent_py``, ``hpc``, ``biophysical``."""
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg", encoding="utf-8")
    folders = {p.split(".")[0] for p in cfg["options"]["packages"].split()}
    for line in cfg["options"].get("package_dir", "").splitlines():
        if "=" in line:
            folders.add(line.split("=", 1)[1].strip().split("/")[0])
    return sorted(folders)


def build_wheel(out_dir: Path) -> Path:
    """Build the pure-Python wheel of emergent_py into ``out_dir`` and return its path.

    The source is copied first (setup.cfg, pyproject.toml, README.md and the packaged folders,
    without caches), so a stale ``build/`` of the clone can never slip old modules in, and the
    clone gets no build litter.
    """
    root = source_tree()
    try:
        import setuptools  # noqa: F401
        import wheel  # noqa: F401
    except ImportError as e:
        raise SubmitError(f"--nsg builds a wheel of emergent_py and needs setuptools and wheel ({e}); "
                          "install them with: pip install 'ldlc-emergent[nsg]'") from None
    with tempfile.TemporaryDirectory(prefix="emergent_py-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("setup.cfg", "pyproject.toml", "README.md"):
            shutil.copy2(root / name, src / name)
        for folder in _package_folders(root):
            shutil.copytree(root / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "--quiet", "--disable-pip-version-check", "-w", str(Path(tmp) / "dist"), str(src)],
                           capture_output=True, text=True, timeout=600)
        wheels = sorted((Path(tmp) / "dist").glob("*.whl"))
        if p.returncode != 0 or len(wheels) != 1:
            raise SubmitError(f"pip wheel failed to build emergent_py's wheel (exit {p.returncode}):\n"
                              f"{(p.stderr or p.stdout).strip()[-2000:]}")
        if not wheels[0].name.endswith("-py3-none-any.whl"):
            raise SubmitError(f"the wheel {wheels[0].name} is not pure Python (py3-none-any); NSG's Python "
                              "could not install it")
        out_dir.mkdir(parents=True, exist_ok=True)
        dest = out_dir / wheels[0].name
        shutil.copy2(wheels[0], dest)
        return dest


def write_package(path: Path, job: Job, model: Model, cores: int, wheel: Path) -> Path:
    """Write the job zip (layout in the module docstring) to ``path``, atomically: the base model,
    and each run's model as the job folder holds it."""
    config = {"schema": "emergent_py.nsg_job", "schema_version": 1, "cores": cores, "wheel": wheel.name,
              "runs": job.runs}
    with atomic_output(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.write(ENTRY_SOURCE, f"{TOP}/{ENTRY}")
            z.writestr(f"{TOP}/runs.json", json.dumps(config, indent=1, sort_keys=True) + "\n")
            z.writestr(f"{TOP}/{MODEL_FILE}", model.to_json())
            for r in job.runs:
                z.write(job.folder / r["dir"] / MODEL_FILE, f"{TOP}/{r['dir']}/{MODEL_FILE}")
            z.write(wheel, f"{TOP}/wheels/{wheel.name}")
    return path
