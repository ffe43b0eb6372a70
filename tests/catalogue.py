"""The harness of the bad-input catalogue (tests/test_catalogue_*.py).

A :class:`Case` is one bad input: the files it needs (written into a fresh folder), the call
that must refuse it, the exception type expected and the fragments its message must hold
(the culprit: row or line, column or field or key, value) plus one of :data:`FIXES` (the
fix). :func:`check` runs a case and asserts, besides, that the caller's objects (deep-copied
before the call and compared after) and every file of the folder (hashed before and after,
and no file added or removed: no temporary file left behind) are unchanged.

Command-line cases run ``allocator.cli.main`` in-process; a non-zero exit code is turned into
:class:`CliRefused` so that the same checks apply to its standard error.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from allocator.cli import main
from allocator.model.cells import CellError

__all__ = ["FIXES", "Case", "CliRefused", "check", "cli", "frame_equal", "has_fix"]

FIXES = (
    "give",
    "correct",
    "save",
    "unmerge",
    "write",
    "lower",
    "remove",
    "use",
    "add",
    "check",
    "map it",
    "choose",
    "leave",
    "pass",
    "build",
    "divide",
    "multiply",
    "fill",
    "name the column",
    "quote",
    "see",
    "a DataFrame of applications becomes",
    "run again",
    "create",
    "install",
    "fix",
    "did you mean",
)
"""Words with which a message tells the user what to do (matched as whole words)."""


def has_fix(msg: str) -> bool:
    """Whether ``msg`` tells the user what to do: one of :data:`FIXES` as a whole word."""
    return any(re.search(rf"\b{re.escape(f)}\b", msg) for f in FIXES)


class CliRefused(Exception):
    """The command line ended with a non-zero exit code; the message is its standard error."""

    def __init__(self, code: int, stderr: str) -> None:
        super().__init__(stderr)
        self.code = code


def cli(*argv: str) -> Callable[[Path], Any]:
    """A call running ``allocator ARGV`` in the case's folder (``{d}`` in an argument is the folder)."""

    def call(folder: Path) -> Any:
        out, err = io.StringIO(), io.StringIO()
        code = main([a.replace("{d}", str(folder)) for a in argv], stdout=out, stderr=err)
        if code != 0:
            raise CliRefused(code, err.getvalue())
        return out.getvalue()

    return call


@dataclass(frozen=True)
class Case:
    """One bad input and what refusing it must look like."""

    name: str
    call: Callable[[Path], Any]
    error: type[BaseException]
    says: tuple[str, ...]
    files: dict[str, bytes | Callable[[Path], None]] = field(default_factory=dict)
    objects: tuple[Any, ...] = ()
    fix: bool = True


def frame_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same values (NaN equal to NaN), dtypes, index and columns."""
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError:
        return False
    return list(a.columns) == list(b.columns) and a.index.equals(b.index)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return frame_equal(a, b)
    if isinstance(a, pd.Series):
        return a.equals(b) and a.dtype == b.dtype
    return bool(a == b)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    } | {str(p.relative_to(folder)): f"link->{p.readlink()}" for p in folder.rglob("*") if p.is_symlink()}


def check(case: Case, folder: Path) -> str:
    """Run ``case`` in ``folder`` and assert everything the catalogue promises; the message."""
    for name, content in case.files.items():
        target = folder / name
        if callable(content):
            content(target)
        else:
            target.write_bytes(content)
    before_files = _hashes(folder)
    before_objects = copy.deepcopy(case.objects)
    try:
        case.call(folder)
    except case.error as exc:
        err: BaseException = exc
    except BaseException as exc:
        raise AssertionError(f"{case.name}: expected {case.error.__name__}, got {type(exc).__name__}: {exc}") from exc
    else:
        raise AssertionError(f"{case.name}: accepted, expected {case.error.__name__}")
    assert type(err) is not CellError, f"{case.name}: a bare CellError escaped: {err}"
    msg = str(err)
    if isinstance(err, CliRefused):
        assert err.code in (1, 2), (err.code, msg)
        assert msg.startswith("allocator: error: ") and msg.count("\n") == 1, msg
        assert "unexpected" not in msg and "Traceback" not in msg, msg
    else:
        assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__), f"{case.name}: chained"
        assert "Traceback" not in msg
    for fragment in case.says:
        assert fragment in msg, f"{case.name}: {fragment!r} not in: {msg}"
    if case.fix:
        assert has_fix(msg), f"{case.name}: no fix in: {msg}"
    for obj, kept in zip(case.objects, before_objects, strict=True):
        assert _same(obj, kept), f"{case.name}: the caller's {type(obj).__name__} changed"
    assert _hashes(folder) == before_files, f"{case.name}: files changed, added or removed"
    return msg
