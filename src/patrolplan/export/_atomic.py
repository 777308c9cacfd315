"""Atomic file writes: a temporary file in the same folder, fsync, then a rename (``os.replace``).

A reader never sees a half-written export: it sees the old file or the new
one. A crash in the middle leaves the old file and no stray temporary file
(the temporary is removed on any exception).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_text_atomic"]


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of a rename to disk (best effort: not every platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path
        The file to (re)place; its folder is created if missing.
    data
        The whole content.

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)
    return target


def write_text_atomic(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, with ``\\n`` line endings.

    Parameters
    ----------
    path
        The file to (re)place.
    text
        The whole content.
    encoding
        ``"utf-8"``, or ``"utf-8-sig"`` for a byte-order mark (Excel).

    Returns
    -------
    Path
        ``path``.
    """
    return write_bytes_atomic(path, text.encode(encoding))
