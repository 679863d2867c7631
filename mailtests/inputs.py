"""The files a user names (domains file, zone files, ``$INCLUDE``): probed and read without surprises.

Whatever a path names, looking at it and reading it ends in seconds with either the
bytes or one :class:`InputError` sentence, never an exception from deep inside:

* a path the system refuses (longer than ``PATH_MAX`` or a component over ``NAME_MAX``:
  ``ENAMETOOLONG``; a NUL character; a loop of links) is an error, not a crash
  (``Path.exists()`` raises on all of them);
* only regular files are read: a FIFO, a device (``/dev/zero``), a socket or a folder
  is refused by its type, and the file is opened with ``O_NONBLOCK`` so that opening a
  FIFO that appeared in the meantime cannot wait for a writer;
* at most ``limit`` bytes are read, so memory stays bounded whatever the file claims.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class InputError(Exception):
    """A path that cannot be probed or read; ``str()`` is the reason, without the path. ``missing``: no such file."""

    def __init__(self, reason: str, missing: bool = False, too_big: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.too_big = too_big


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def kind_of(info: os.stat_result) -> str:
    """What a non-regular file is, in words (``a FIFO (named pipe)``)."""
    return next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")


def probe(path: Path | str) -> os.stat_result | None:
    """``stat`` of the path (links followed), None when nothing is there; :class:`InputError` if it cannot be asked."""
    try:
        return os.stat(path)
    except ValueError:  # an embedded NUL
        raise InputError("the path contains a NUL character") from None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise InputError(_reason(exc)) from None


def exists(path: Path | str) -> bool:
    """``Path.exists()`` that raises only :class:`InputError` (too long, NUL, a loop of links, no permission)."""
    return probe(path) is not None


def is_dir(path: Path | str) -> bool:
    info = probe(path)
    return info is not None and stat.S_ISDIR(info.st_mode)


def is_file(path: Path | str) -> bool:
    info = probe(path)
    return info is not None and stat.S_ISREG(info.st_mode)


def read_regular(path: Path | str, limit: int, what: str = "the file") -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them; :class:`InputError` otherwise."""
    info = probe(path)
    if info is None:
        raise InputError("file not found", missing=True)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"not a regular file ({kind_of(info)})")
    too_big = f"{what} is larger than the limit of {size_text(limit)}"
    if info.st_size > limit:
        raise InputError(f"{too_big} ({info.st_size} bytes)", too_big=True)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(_reason(exc), missing=exc.errno == errno.ENOENT) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # replaced between the two looks
            raise InputError(f"not a regular file ({kind_of(info)})")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(_reason(exc)) from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(too_big, too_big=True)
    return b"".join(chunks)


def size_text(limit: int) -> str:
    """A limit in bytes as a message gives it: ``10 MiB``, ``4,000 bytes``."""
    mib = 1024 * 1024
    return f"{limit // mib} MiB" if limit >= mib and limit % mib == 0 else f"{limit:,} bytes"
