"""Writing files so that a reader never sees a half-written one.

Every output the package writes (projects, tables, weights, job folders, run files, plots) goes
to a hidden temporary name beside its final name and is renamed into place only when complete
(a rename within one folder is atomic on POSIX). This module is the one place that does it.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
from typing import Iterator

from .errors import EmergentPyError


def temp_name(path: str | os.PathLike) -> str:
    """A hidden temporary name in the folder of ``path`` (same file system, so renaming is atomic).
    The folder is created if it does not exist (``-o new/folder/run.h5`` works for every command:
    every output goes through here)."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    make_folder(folder, f"for {os.fspath(path)}")
    return os.path.join(folder, f".{base}.{os.getpid()}.tmp")


def make_folder(folder: str | os.PathLike, why: str = "") -> None:
    """Create ``folder`` and its parents if missing; a clear error if that is impossible."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        reason = e.strerror or str(e)
        part = os.path.abspath(os.fspath(folder))
        while part != os.path.dirname(part) and not os.path.lexists(part):
            part = os.path.dirname(part)
        if os.path.lexists(part) and not os.path.isdir(part):
            reason = f"{part} is a file, not a folder"
        raise EmergentPyError(f"cannot create the folder {os.fspath(folder)}{' ' + why if why else ''}: "
                              f"{reason}") from None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: int | None = None) -> Iterator[str]:
    """Yield a temporary path to write; on success it is renamed to ``path`` (with ``mode``, or
    the usual umask permissions), on an exception it is removed and ``path`` is untouched."""
    tmp = temp_name(path)
    try:
        yield tmp
        if mode is not None:        # (files created with open() already have the umask's permissions)
            os.chmod(tmp, mode)
        os.replace(tmp, os.fspath(path))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str, mode: int | None = None) -> None:
    """Write ``data`` (text as UTF-8; gzip-compressed when ``path`` ends in ``.gz``) atomically."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)
    with atomic_output(path, mode) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


#: help text of every writing command's --overwrite (one rule, one wording)
OVERWRITE_HELP = "replace output files that exist (default: refuse to write over them)"


def refuse_existing(paths, overwrite: bool, option: str = "-o") -> None:
    """The one overwrite rule of every command that writes: an output that exists is replaced
    only with ``--overwrite``; otherwise the command stops before writing anything."""
    if overwrite:
        return
    for path in paths:
        if path is not None and os.path.lexists(path):
            raise EmergentPyError(f"{option} {os.fspath(path)}: exists; pass --overwrite to replace it")


def unreadable(path: str | os.PathLike, what: str = "file") -> str | None:
    """Why ``path`` cannot be read as a ``what``, in plain words (a folder, missing, no
    permission), or None when it is a readable file: what the user sees instead of a library's
    errno text."""
    p = os.fspath(path)
    if not os.path.lexists(p):
        return f"{p}: no such {what}"
    if os.path.isdir(p):
        return f"{p}: is a folder, not a {what}"
    if not os.access(p, os.R_OK):
        return f"{p}: no permission to read this {what}"
    return None


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (provenance of the files a run read)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
