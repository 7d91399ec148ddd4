"""Cluster profiles: one TOML file per site, read with :mod:`tomllib` and checked field by field.

A profile states what a batch script for that site must look like: its partitions (max wall time,
max nodes, cores per node), the MPI launcher, the ``module`` lines, the directives the site
requires or rejects, how sweeps run (``array`` or TACC's ``launcher``), how a job survives its
wall-time limit (``requeue`` or ``resubmit``) and its scratch folders.

Profiles are looked up, first match wins, in ``$EMERGENT_PY_CLUSTERS`` (a ``:``-separated list of
folders), ``~/.config/emergent_py/clusters`` and the ``profiles/`` folder shipped with the package.
Adding a site is adding a file ``<name>.toml``; see docs/hpc.md for the fields.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SubmitError, did_you_mean
from ..fileio import read_bytes

PACKAGE_PROFILES = Path(__file__).resolve().parent / "profiles"
USER_PROFILES = Path("~/.config/emergent_py/clusters")
SWEEP_MODES = ("array", "launcher")
TASK_DIRECTIVES = ("ntasks", "ntasks-per-node")
RESUME_MODES = ("requeue", "resubmit")
# A job of T threads per task (submit --threads T) exports these ({threads} = T): the OpenMP
# convention, and one BLAS thread (numpy's BLAS threads would spin beside the core's threads)
DEFAULT_THREAD_ENV = ("OMP_NUM_THREADS={threads}", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1")

_TIME = re.compile(r"(?:(?P<d>\d+)-)?(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d{1,2})")      # fullmatch


def parse_time(text: str, what: str = "time") -> int:
    """Seconds of a SLURM wall time ``[D-]HH:MM:SS`` (or plain minutes, as ``sbatch -t 30``).

    Raises
    ------
    SubmitError
        when ``text`` is neither form.
    """
    text = str(text).strip()
    if text.isdigit():
        return int(text) * 60
    m = _TIME.fullmatch(text)
    if not m or int(m["m"]) > 59 or int(m["s"]) > 59:
        raise SubmitError(f"{what} {text!r} is not a wall time: write [D-]HH:MM:SS (e.g. 02:00:00, "
                          "1-12:00:00) or whole minutes (e.g. 30)")
    return ((int(m["d"] or 0) * 24 + int(m["h"])) * 60 + int(m["m"])) * 60 + int(m["s"])


def format_time(seconds: int) -> str:
    """``[D-]HH:MM:SS`` for a number of seconds (the form every site's sbatch accepts)."""
    d, r = divmod(int(seconds), 86400)
    hms = f"{r // 3600:02d}:{r % 3600 // 60:02d}:{r % 60:02d}"
    return f"{d}-{hms}" if d else hms


@dataclass(frozen=True)
class Partition:
    """One partition (TACC: queue) of a site.

    Parameters
    ----------
    name : the ``-p`` value
    max_time : longest wall time a job may ask for, seconds
    max_nodes : most nodes one job may ask for
    cores_per_node : cores of one node (tasks per node cannot exceed it)
    exclusive : the site gives a job whole nodes (and charges for them), so small serial runs
        are packed onto few nodes (:mod:`.packing`, the profile's ``pack``)
    """
    name: str
    max_time: int
    max_nodes: int
    cores_per_node: int
    exclusive: bool = False


@dataclass(frozen=True)
class Profile:
    """Everything a batch script for one site depends on (see the module docstring).

    ``required`` and ``forbidden`` hold sbatch long-option names without dashes (``account``,
    ``mem``, ``gres``, ``array``). ``pack`` is how a sweep of serial runs shares the whole nodes
    of an ``exclusive`` partition: ``launcher`` (TACC's launcher, one job), ``array`` (a packed
    job array: each task one node running its share of the runs), ``none``; see
    :mod:`.packing`. ``python`` is the interpreter jobs run; empty means the
    interpreter that submits (the local test cluster). ``tasks`` is how the task count is
    written: ``ntasks`` (total) or ``ntasks-per-node`` (SDSC's examples make it mandatory).
    ``hybrid_flags`` are the launcher's options for tasks of T threads (``{threads}`` = T; e.g.
    srun's ``--cpus-per-task={threads} --cpu-bind=cores``), ``thread_env`` the ``NAME=VALUE``
    variables such a job exports (default :data:`DEFAULT_THREAD_ENV`).
    """
    name: str
    description: str
    path: Path
    partitions: dict[str, Partition]
    launcher: str
    modules: tuple[str, ...]
    required: tuple[str, ...]
    forbidden: tuple[str, ...]
    sweep: str
    resume: str
    default_partition: str
    scratch: str
    local_scratch: str
    python: str = ""
    setup: tuple[str, ...] = ()
    tasks: str = "ntasks"
    hybrid_flags: str = ""
    thread_env: tuple[str, ...] = DEFAULT_THREAD_ENV
    pack: str = "none"

    def partition(self, name: str | None) -> Partition:
        """The partition called ``name`` (the default one for None); SubmitError names the choices."""
        name = self.default_partition if name is None else name
        try:
            return self.partitions[name]
        except KeyError:
            raise SubmitError(f"cluster '{self.name}' has no partition '{name}' (has: "
                              f"{', '.join(self.partitions)}).{did_you_mean(name, self.partitions)}"
                              ) from None


# field -> (type, required); "str_list" is a list of strings
_FIELDS: dict[str, tuple[str, bool]] = {
    "name": ("str", True), "description": ("str", True), "launcher": ("str", True),
    "modules": ("str_list", True), "required": ("str_list", True), "forbidden": ("str_list", True),
    "sweep": ("str", True), "resume": ("str", True), "default_partition": ("str", True),
    "scratch": ("str", True), "local_scratch": ("str", True), "partitions": ("table", True),
    "python": ("str", False), "setup": ("str_list", False), "tasks": ("str", False),
    "hybrid_flags": ("str", False), "thread_env": ("str_list", False),
    "pack": ("str", False),
}
_PART_FIELDS = {"max_time": "str", "max_nodes": "int", "cores_per_node": "int"}
_PART_OPTIONAL = {"exclusive": "bool"}
PACK_MODES = ("none", "launcher", "array")


def _check_type(where: str, field: str, value: Any, kind: str) -> None:
    ok = {"str": isinstance(value, str),
          "int": isinstance(value, int) and not isinstance(value, bool) and value > 0,
          "str_list": isinstance(value, list) and all(isinstance(v, str) for v in value),
          "table": isinstance(value, dict), "bool": isinstance(value, bool)}[kind]
    if not ok:
        want = {"str": "a string", "int": "a positive integer", "str_list": "a list of strings", "bool": "true or false",
                "table": "a table ([partitions.NAME] sections)"}[kind]
        raise SubmitError(f"{where}: field '{field}' = {value!r} must be {want}")


def _check_thread_fields(where: str, data: dict) -> None:
    """hybrid_flags and thread_env may use the placeholder {threads} only; thread_env lines are
    NAME=VALUE with a shell variable name."""
    texts = [("hybrid_flags", data.get("hybrid_flags", ""))]
    texts += [("thread_env", line) for line in data.get("thread_env", ())]
    for key, text in texts:
        try:
            text.format(threads=2)
        except (KeyError, IndexError, ValueError) as e:
            raise SubmitError(f"{where}: field '{key}' = {text!r}: {e!r} is not the placeholder "
                              "{threads} (write braces meant for the shell as {{ }})") from None
        if key == "thread_env" and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$", text):
            raise SubmitError(f"{where}: field 'thread_env' line {text!r} must be NAME=VALUE "
                              "(e.g. OMP_NUM_THREADS={threads})")


def profile_from_dict(data: dict, path: Path) -> Profile:
    """Build and check a :class:`Profile` from parsed TOML; errors name the file and the field."""
    where = str(path)
    for key in data:
        if key not in _FIELDS:
            raise SubmitError(f"{where}: unknown field '{key}'.{did_you_mean(key, _FIELDS)} "
                              f"(fields: {', '.join(_FIELDS)})")
    for key, (kind, required) in _FIELDS.items():
        if key not in data:
            if required:
                raise SubmitError(f"{where}: missing field '{key}' (a profile states: "
                                  f"{', '.join(k for k, (_, r) in _FIELDS.items() if r)})")
            continue
        _check_type(where, key, data[key], kind)
    if data["name"] != path.stem:
        raise SubmitError(f"{where}: field 'name' = {data['name']!r} must equal the file name "
                          f"'{path.stem}' (the name --cluster looks up)")
    for key, choices in (("sweep", SWEEP_MODES), ("resume", RESUME_MODES), ("tasks", TASK_DIRECTIVES),
                         ("pack", PACK_MODES)):
        if key in data and data[key] not in choices:
            raise SubmitError(f"{where}: field '{key}' = {data[key]!r} must be one of "
                              f"{', '.join(choices)}")
    _check_thread_fields(where, data)
    if "array" in data["forbidden"] and data["sweep"] == "array":
        raise SubmitError(f"{where}: 'array' is forbidden but sweep = 'array'; use sweep = 'launcher'")
    parts = {}
    for pname, pdata in data["partitions"].items():
        pwhere = f"{where}: [partitions.{pname}]"
        if not isinstance(pdata, dict):
            raise SubmitError(f"{pwhere} must be a table with {', '.join(_PART_FIELDS)}")
        for key in pdata:
            if key not in _PART_FIELDS and key not in _PART_OPTIONAL:
                known = [*_PART_FIELDS, *_PART_OPTIONAL]
                raise SubmitError(f"{pwhere}: unknown field '{key}'.{did_you_mean(key, known)} "
                                  f"(fields: {', '.join(known)})")
        for key, kind in _PART_OPTIONAL.items():
            if key in pdata:
                _check_type(pwhere, key, pdata[key], kind)
        for key, kind in _PART_FIELDS.items():
            if key not in pdata:
                raise SubmitError(f"{pwhere}: missing field '{key}'")
            _check_type(pwhere, key, pdata[key], kind)
        parts[pname] = Partition(pname, parse_time(pdata["max_time"], f"{pwhere}: max_time"),
                                 pdata["max_nodes"], pdata["cores_per_node"], pdata.get("exclusive", False))
    if not parts:
        raise SubmitError(f"{where}: no partitions (add a [partitions.NAME] section)")
    if data["default_partition"] not in parts:
        raise SubmitError(f"{where}: default_partition {data['default_partition']!r} is not one of "
                          f"its partitions ({', '.join(parts)})")
    return Profile(name=data["name"], description=data["description"], path=path, partitions=parts,
                   launcher=data["launcher"], modules=tuple(data["modules"]),
                   required=tuple(data["required"]), forbidden=tuple(data["forbidden"]),
                   sweep=data["sweep"], resume=data["resume"],
                   default_partition=data["default_partition"], scratch=data["scratch"],
                   local_scratch=data["local_scratch"], python=data.get("python", ""),
                   setup=tuple(data.get("setup", ())), tasks=data.get("tasks", "ntasks"),
                   hybrid_flags=data.get("hybrid_flags", ""),
                   thread_env=tuple(data.get("thread_env", DEFAULT_THREAD_ENV)),
                   pack=data.get("pack", "none"))


def profile_dirs() -> list[Path]:
    """Folders searched for ``<name>.toml``, first match wins (user folders before the package's)."""
    dirs = [Path(p).expanduser() for p in os.environ.get("EMERGENT_PY_CLUSTERS", "").split(os.pathsep) if p]
    return dirs + [USER_PROFILES.expanduser(), PACKAGE_PROFILES]


def available_profiles() -> dict[str, Path]:
    """``name -> file`` of every profile found (a user's file shadows the package's)."""
    found: dict[str, Path] = {}
    for d in profile_dirs():
        for path in sorted(d.glob("*.toml")) if d.is_dir() else ():
            found.setdefault(path.stem, path)
    return found


def read_profile(path: str | os.PathLike) -> Profile:
    """Read and check one profile file."""
    path = Path(path)
    try:           # (read_bytes: a byte-order mark is dropped, other file kinds are named)
        data = tomllib.loads(read_bytes(path, "a cluster profile (TOML text)").decode("utf-8"))
    except UnicodeDecodeError as e:
        raise SubmitError(f"{path}: not UTF-8 text (byte {e.start}); expected a cluster profile (TOML)") from None
    except tomllib.TOMLDecodeError as e:
        raise SubmitError(f"{path}: not valid TOML: {e}") from e
    return profile_from_dict(data, path)


def load_profile(name: str) -> Profile:
    """The profile called ``name`` (a site name, or a path to a .toml file)."""
    if name.endswith(".toml"):
        return read_profile(name)
    found = available_profiles()
    if name not in found:
        raise SubmitError(f"no cluster profile '{name}' (known: {', '.join(sorted(found))}; searched "
                          f"{', '.join(map(str, profile_dirs()))}).{did_you_mean(name, found)} "
                          "Add a site by writing <name>.toml into one of those folders.")
    return read_profile(found[name])
