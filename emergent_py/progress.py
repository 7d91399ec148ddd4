"""Progress lines on stderr that never stop the work they report on.

A long command (a training run, a benchmark, an MPI launch relaying its ranks' lines) reports
progress on stderr. When that stream is a pipe whose reader has gone (``emergent-py run ... 2>&1
| head -2``), writing to it raises BrokenPipeError; letting that end the command would stop a
run after a few epochs and leave a truncated run file. Here a closed progress stream is noted
once and every later line is dropped, while the work goes on. (A command's *result* on stdout is
different: if it cannot be delivered the CLI exits non-zero, see ``cli.main``.)
"""
from __future__ import annotations

import errno
import math
import os
import sys
from typing import TextIO

#: at most about this many progress lines for a long run (plus the last epoch and the summary)
MAX_PROGRESS_LINES = 100


def is_closed_pipe(exc: BaseException) -> bool:
    """True for the error a write to a pipe without a reader raises."""
    return isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE)


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor at /dev/null, so that its buffered bytes (and every
    later write, e.g. a warning) go nowhere instead of raising again when Python flushes it at
    exit ("Exception ignored ... BrokenPipeError", exit status 120)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):    # not a real file (pytest's capture, StringIO)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class ProgressStream:
    """A text stream for progress lines: ``write`` and ``flush`` like a file, except that once the
    reader of the underlying stream has gone, the stream is silenced and lines are dropped."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.closed_by_reader = False

    @property
    def stream(self) -> TextIO:
        return sys.stderr if self._stream is None else self._stream    # (pytest swaps sys.stderr)

    def write(self, text: str) -> None:
        if self.closed_by_reader:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except OSError as e:
            if not is_closed_pipe(e):
                raise
            self.closed_by_reader = True
            silence(self.stream)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.write("")

    def line(self, text: str) -> None:
        self.write(text + "\n")


def default_every(epochs: int) -> int:
    """The default epoch interval between progress lines: every epoch up to
    :data:`MAX_PROGRESS_LINES` epochs, else as many epochs as keep it to about that many lines."""
    return max(1, math.ceil(max(epochs, 1) / MAX_PROGRESS_LINES))


def due(epoch: int, every: int, last: bool) -> bool:
    """Whether epoch ``epoch`` (counted from 0) gets a progress line: the first, every
    ``every``-th after it, and the last one of the run."""
    return last or epoch % every == 0
