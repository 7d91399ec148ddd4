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


def temp_name(path: str | os.PathLike) -> str:
    """A hidden temporary name in the folder of ``path`` (same file system, so renaming is atomic)."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    return os.path.join(folder, f".{base}.{os.getpid()}.tmp")


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


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (provenance of the files a run read)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def replace_durably(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Rename the finished file ``tmp`` over ``path`` so that a crash (or power loss) leaves
    either the old or the new file, complete: ``tmp``'s bytes reach the disk before the rename,
    and the rename before this returns."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(os.path.abspath(os.fspath(path))), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # exists, owned by someone else
        return True
    return True


def remove_dead_temps(path: str | os.PathLike) -> list[str]:
    """Delete the hidden temporaries (:func:`temp_name`) of ``path`` that dead writers left (a
    writer killed before it could rename or remove them); returns the deleted paths. A temporary
    whose process id is alive on this machine is kept. Call it only while holding the lock on
    ``path`` (:class:`FileLock`), which proves that no other writer of it is running anywhere."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    prefix = f".{base}."
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):-len(".tmp")]
        if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(folder, name))
            removed.append(os.path.join(folder, name))
    return removed


class FileLockedError(OSError):
    """Another live process holds the lock of a file (:class:`FileLock`)."""


class FileLock:
    """An exclusive lock on the output ``path``, held through a hidden ``.NAME.lock`` beside it
    (``flock``; released by the kernel when the holder dies, so a killed writer never blocks the
    next one). The lock file is removed on :meth:`release`; the holder's pid and host are in it
    for the error message of the process that is refused."""

    def __init__(self, path: str | os.PathLike) -> None:
        folder, base = os.path.split(os.path.abspath(os.fspath(path)))
        self.path = os.path.join(folder, f".{base}.lock")
        self._fd: int | None = None

    def acquire(self) -> "FileLock":
        import fcntl
        import socket
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "unknown"
                os.close(fd)
                raise FileLockedError(f"held by {holder}") from None
            except BaseException:
                os.close(fd)
                raise
            try:                     # the holder we waited for may have removed the file meanwhile
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)     # before unlocking: a waiter then sees a new file (see acquire)
        os.close(self._fd)
        self._fd = None
