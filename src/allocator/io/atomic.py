"""Writing files so that a failure never destroys the previous version, and never an input.

Every file allocator writes (decisions as CSV, XLSX or JSON, the Excel report, the
command line's ``--out``) goes through :func:`replacing`: the content is written to a
temporary file in the same folder, flushed to disk (``fsync``), and renamed over the
target in one step (``os.replace``, atomic on POSIX and Windows). If anything fails on
the way (a full disk, an exception while writing, an interrupted process), the temporary
file is removed and the old file is left exactly as it was. A target that is a symbolic
link is replaced where the link points; the new file gets the old one's permissions.

:func:`same_file` tells whether two paths name the same file (the same resolved path, or
the same file under two names: a hard link), so that an output path can be refused when it
is one of the inputs.

Examples
--------
>>> import pathlib, tempfile
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> _ = target.write_text("old")
>>> try:
...     with replacing(target) as tmp:
...         _ = tmp.write_text("half of the new")
...         raise OSError(28, "No space left on device")
... except OSError:
...     pass
>>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
('old', ['out.txt'])
>>> with replacing(target) as tmp:
...     _ = tmp.write_text("new")
>>> target.read_text()
'new'
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["replacing", "same_file"]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); folders cannot be opened on Windows, where it is not needed."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _mode(target: Path) -> int:
    """The permissions for the new file: the old file's, else what a new file would get."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target``; on success it replaces ``target`` atomically.

    Write the whole new content to the yielded path (by name: pandas, xlsxwriter and
    ``Path.write_text`` all do). On leaving the block without an exception the file is
    fsynced and renamed over ``target``; on an exception it is removed and ``target`` is
    untouched. Errors creating the temporary file (no such folder, no permission) are the
    ``OSError`` they are.
    """
    real = Path(os.path.realpath(target))
    fd, name = tempfile.mkstemp(prefix=f".{real.stem}.", suffix=f".part{real.suffix}", dir=real.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _mode(real))
        _fsync(tmp)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(real.parent)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name the same file: equal resolved paths, or one file under two names."""
    ra, rb = os.path.realpath(a), os.path.realpath(b)
    if os.path.normcase(ra) == os.path.normcase(rb):
        return True
    try:
        return os.path.samefile(ra, rb)
    except OSError:  # one of them does not exist (yet)
        return False
