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

from .errors import EmergentPyError, FormatError


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


#: magic numbers of the file kinds a user may hand a reader by mistake (the first bytes)
MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\x04\x22\x4d\x18", "lz4-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-zip archive"),
    (b"\x1f\x9d", "compress (.Z) data"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (e.g. an emergent-py run file)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF", "a PDF document"),
)


def sniff(data: bytes) -> str | None:
    """What a file really is by its magic number (``"bzip2-compressed data"``), or None when its
    first bytes match none of :data:`MAGIC` (a tar archive is recognised by its ``ustar`` mark)."""
    for magic, what in MAGIC:
        if data.startswith(magic):
            return what
    if data[257:262] == b"ustar":
        return "a tar archive"
    return None


#: the UTF-8 byte-order mark
BOM = b"\xef\xbb\xbf"


def read_bytes(path: str | os.PathLike, expected: str = "a text file", binary_ok: bool = False) -> bytes:
    """The content of the input file ``path``, as every reader of the package takes it:
    gunzipped when it starts with gzip's magic bytes (emergent writes ``.gz`` names compressed;
    the content, not the name, decides) and without a leading UTF-8 byte-order mark (Windows
    editors write one). FormatError naming the file and ``expected`` (what the caller reads) for
    content of another kind by its magic number (bzip2, xz, zip, HDF5 ...: :func:`sniff`) and,
    unless ``binary_ok``, for a NUL byte (binary data in a text file)."""
    path = os.fspath(path)
    why = unreadable(path)            # a folder, missing, no permission: plain words, not errno
    if why:
        raise FormatError(why)
    with open(path, "rb") as f:
        raw = f.read()
    gunzipped = raw[:2] == b"\x1f\x8b"
    if gunzipped:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise FormatError(f"{path}: corrupt or truncated gzip data ({e}); expected {expected}") from e
    kind = sniff(raw)
    if kind is not None:
        gz = " (the name says gzip, the content does not)" if path.endswith(".gz") and not gunzipped else ""
        kind = f"{kind} inside gzip" if gunzipped else kind
        raise FormatError(f"{path}: this is {kind}{gz} (magic bytes {raw[:4].hex(' ')}); expected "
                          f"{expected}, plain or gzip-compressed")
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    nul = -1 if binary_ok else raw.find(b"\0", 0, 1 << 16)     # (binary data shows early)
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise FormatError(f"{path}:{line}: binary data (a NUL byte at byte {nul}), not text; "
                          f"expected {expected}")
    return raw


def describe(path: str | os.PathLike) -> str:
    """What a file holds, for an error message: its kind by magic number, 'an empty file',
    'text starting ...' or 'binary data'."""
    with open(path, "rb") as f:
        head = f.read(512)
    if not head:
        return "an empty file"
    kind = sniff(head)
    if kind is not None:
        return kind
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        return "binary data"
    return "binary data" if "\0" in first else f"text starting {first[:40]!r}"


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
