"""The reviewers' spread of a criterion score, read from a table's ``<criterion>_min`` and
``<criterion>_max`` columns (as :func:`allocator.io.reviewers.aggregate_reviews` writes them).

A criterion ``green`` read from the column ``Grønn omstilling`` finds its spread in
``green_min`` / ``green_max`` or ``Grønn omstilling_min`` / ``Grønn omstilling_max``
(case, spaces, ``_`` and ``-`` ignored). Both columns or neither; in each row both cells
or neither, with ``min <= score <= max``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

from allocator.exceptions import InputError
from allocator.model.cells import CellError, parse_number, show
from allocator.model.columns import normalise_header

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_spreads", "spread_columns"]

_TOL = 1e-9


def _pair(columns: Sequence[Hashable], name: str, header: Hashable) -> tuple[Hashable, Hashable] | None:
    by_norm = {normalise_header(c): c for c in columns}
    for base in dict.fromkeys((name, str(header))):
        lo, hi = (
            by_norm.get(normalise_header(f"{base}_min")),
            by_norm.get(normalise_header(f"{base}_max")),
        )
        if lo is not None and hi is not None:
            return lo, hi
        if (lo is None) != (hi is None):
            missing = f"{base}_max" if hi is None else f"{base}_min"
            raise InputError(
                f"the table has {str(lo if lo is not None else hi)!r} but no column {missing!r}; give both the "
                "lowest and the highest reviewer score, or neither",
                column=missing,
            )
    return None


def spread_columns(columns: Sequence[Hashable], criteria: Sequence[str], found: dict[str, Hashable]) -> list[Hashable]:
    """The spread columns present for ``criteria`` (``found``: criterion -> score column)."""
    out: list[Hashable] = []
    for c in criteria:
        pair = _pair(columns, c, found[c])
        if pair:
            out.extend(pair)
    return out


def read_spreads(
    df: pd.DataFrame,
    criteria: Sequence[str],
    found: dict[str, Hashable],
    scores: dict[str, list[float]],
    ids: list[str],
) -> list[dict[str, tuple[float, float]]]:
    """Per row, criterion -> (lowest, highest) reviewer score, from the spread columns."""
    out: list[dict[str, tuple[float, float]]] = [{} for _ in ids]
    for c in criteria:
        pair = _pair(list(df.columns), c, found[c])
        if pair is None:
            continue
        lows, highs = df[pair[0]].tolist(), df[pair[1]].tolist()
        for i, (lo_raw, hi_raw) in enumerate(zip(lows, highs, strict=True)):
            try:
                lo, hi = parse_number(lo_raw), parse_number(hi_raw)
            except CellError as exc:
                raise InputError(
                    f"row {i + 1} (id {ids[i]!r}), columns {str(pair[0])!r}/{str(pair[1])!r}: {exc}; "
                    "give the lowest and highest reviewer score as numbers",
                    row=i + 1,
                    column=str(pair[0]),
                    value=(lo_raw, hi_raw),
                ) from None
            if lo is None and hi is None:
                continue
            s = scores[c][i]
            if lo is None or hi is None or not lo - _TOL <= s <= hi + _TOL:
                raise InputError(
                    f"row {i + 1} (id {ids[i]!r}), columns {str(pair[0])!r}/{str(pair[1])!r}: the spread "
                    f"{show(lo_raw)}-{show(hi_raw)} does not contain the score {s:g}; give the lowest and highest "
                    "reviewer score around it, or leave both cells empty",
                    row=i + 1,
                    column=str(pair[0]),
                    value=(lo_raw, hi_raw),
                )
            out[i][c] = (min(lo, s), max(hi, s))
    return out
