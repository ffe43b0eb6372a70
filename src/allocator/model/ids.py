"""The order of application ids: the id tie-break and every listing sorted by id."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["natural_key"]


def natural_key(s: str) -> tuple[Any, ...]:
    """Sort key comparing digit runs as numbers: 'A-2' < 'A-10'; the id tie-break order."""
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", s) if t)
