"""Several reviewers per criterion: aggregate their scores into one table of applications.

A panel scores each application on each criterion; the call is decided on one score per
criterion. :func:`aggregate_reviews` reads the reviews in either layout

*wide*
    one row per application, several columns per criterion: ``green_r1``, ``green_r2``,
    ... (also ``green_1`` or ``green 1``), or any columns named in a mapping
    ``{"green": ["Grønn A", "Grønn B"]}``;
*long*
    one row per review: the application's id, the reviewer, one column per criterion
    (the application's other columns repeated on each of its rows, or given once in a
    separate ``applications`` table);

and returns one row per application with, per criterion, the aggregate (``mean``, the
default, or ``median``) in a column named after the criterion, the spread in
``<criterion>_min`` / ``<criterion>_max`` and the number of reviews in ``<criterion>_n``.
:meth:`allocator.Problem.from_frame` reads the spread onto each application
(``Application.spread``); the report shows it beside the score.

A reviewer's missing score (an empty cell) is never read as 0: ``missing="refuse"`` (the
default) raises an :class:`~allocator.exceptions.InputError` naming the application, the
criterion and the column; ``missing="ignore"`` aggregates the scores that are there. A
criterion no reviewer scored for an application is refused either way.

The mean is computed exactly from the scores as written (4, 5 and 5 give 14/3, shown as
4.667) and stored as the nearest float.

Examples
--------
>>> import pandas as pd
>>> wide = pd.DataFrame({"id": ["A", "B"], "requested": [100, 200],
...                      "green_r1": [4, 6], "green_r2": [5, 6], "green_r3": [6, None]})
>>> out = aggregate_reviews(wide, ["green"], missing="ignore")
>>> out[["id", "green", "green_min", "green_max", "green_n"]].to_dict("records")
[{'id': 'A', 'green': 5.0, 'green_min': 4.0, 'green_max': 6.0, 'green_n': 3}, {'id': 'B', 'green': 6.0, 'green_min': 6.0, 'green_max': 6.0, 'green_n': 2}]
>>> long = pd.DataFrame({"id": ["A", "A", "B"], "reviewer": ["R1", "R2", "R1"],
...                      "requested": [100, 100, 200], "green": [4, 7, 6]})
>>> aggregate_reviews(long, ["green"], how="median")[["id", "green", "green_min", "green_max"]].to_dict("records")
[{'id': 'A', 'green': 5.5, 'green_min': 4.0, 'green_max': 7.0}, {'id': 'B', 'green': 6.0, 'green_min': 6.0, 'green_max': 6.0}]
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from allocator.exceptions import InputError
from allocator.model.cells import CellError, is_missing, parse_number, parse_text, show
from allocator.model.columns import ALIASES, normalise_header
from allocator.model.normalise import exact

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["aggregate_reviews", "read_reviews", "review_columns"]

How = Literal["mean", "median"]
Missing = Literal["refuse", "ignore"]
_WIDE = re.compile(r"^(?P<name>.+?)[_ ](?:r|reviewer|vurderer)?\s*(?P<k>\d+)$", re.IGNORECASE)


def review_columns(columns: Sequence[Hashable], criteria: Sequence[str] | None = None) -> dict[str, list[Hashable]]:
    """The wide layout's review columns per criterion: ``green_r1``, ``green_2``, ``green 3`` ...

    Examples
    --------
    >>> review_columns(["id", "green_r1", "green_r2", "smart_1", "smart_2", "note"])
    {'green': ['green_r1', 'green_r2'], 'smart': ['smart_1', 'smart_2']}
    """
    found: dict[str, list[tuple[int, Hashable]]] = {}
    for c in columns:
        m = _WIDE.match(str(c).strip())
        if m and (criteria is None or m["name"] in criteria):
            found.setdefault(m["name"], []).append((int(m["k"]), c))
    return {name: [c for _, c in sorted(cols, key=lambda t: t[0])] for name, cols in found.items()}


def _score(value: Any, where: str) -> float | None:
    try:
        return parse_number(value)
    except CellError as exc:
        raise InputError(
            f"{where}: {show(value)} {exc}; give the reviewer's score as a number, or leave it empty",
            value=value,
        ) from None


def _aggregate(scores: list[float], how: How) -> float:
    values = [exact(s) for s in scores]
    if how == "median":
        return float(statistics.median(values))
    return float(sum(values, Fraction(0)) / len(values))


def _combine(
    name: str,
    cells: list[tuple[Any, str, int, str]],
    app: str,
    how: How,
    missing: Missing,
) -> tuple[float, float, float, int]:
    """(aggregate, lowest, highest, number of reviews) of one criterion of one application;
    ``cells``: (value, where in words, row, column) of each review."""
    got = []
    for value, where, row, column in cells:
        s = _score(value, f"application {app!r}, {where}")
        if s is None:
            if missing == "refuse":
                raise InputError(
                    f"application {app!r}, {where}: the reviewer's score for {name!r} is missing; "
                    "fill it in, or pass missing='ignore' to aggregate the scores that are there "
                    "(a missing score is never read as 0)",
                    row=row,
                    column=column,
                    value=value,
                )
            continue
        got.append(s)
    if not got:
        raise InputError(
            f"application {app!r}: no reviewer scored {name!r}; give at least one score",
            row=cells[0][2],
            column=name,
        )
    return _aggregate(got, how), min(got), max(got), len(got)


def _check(how: Any, missing: Any) -> None:
    if how not in ("mean", "median"):
        raise InputError(f"how={how!r}: aggregate reviews by 'mean' or 'median'", value=how)
    if missing not in ("refuse", "ignore"):
        raise InputError(
            f"missing={missing!r}: a missing review is 'refuse'd (the default) or 'ignore'd",
            value=missing,
        )


def _wide(
    df: pd.DataFrame,
    cols: dict[str, list[Hashable]],
    how: How,
    missing: Missing,
    id_col: Hashable | None,
) -> pd.DataFrame:
    import pandas as pd

    used = {c for cs in cols.values() for c in cs}
    for name in cols:
        if name in df.columns and name not in used:
            raise InputError(
                f"the table has both a column {name!r} and review columns for it; keep one of them",
                column=name,
            )
    keep = [c for c in df.columns if c not in used]
    out = df[keep].copy()
    ids = (
        [parse_text(v) for v in df[id_col].tolist()]
        if id_col is not None and id_col in df.columns
        else [str(k + 1) for k in range(len(df))]
    )
    for name, cs in cols.items():
        agg, lo, hi, n = [], [], [], []
        for r in range(len(df)):
            cells = [(df[col].iloc[r], f"row {r + 1}, column {str(col)!r}", r + 1, str(col)) for col in cs]
            a, b, c, k = _combine(name, cells, ids[r], how, missing)
            agg.append(a)
            lo.append(b)
            hi.append(c)
            n.append(k)
        out[name] = agg
        out[f"{name}_min"] = lo
        out[f"{name}_max"] = hi
        out[f"{name}_n"] = pd.array(n, dtype="int64")
    return out.reset_index(drop=True)


def _long(
    df: pd.DataFrame,
    names: Sequence[str],
    how: How,
    missing: Missing,
    id_col: Hashable,
    reviewer: Hashable,
    applications: pd.DataFrame | None,
) -> pd.DataFrame:
    import pandas as pd

    for col in (id_col, reviewer, *names):
        if col not in df.columns:
            raise InputError(
                f"the reviews have no column {str(col)!r}; the long layout needs the application id ({str(id_col)!r}), "
                f"the reviewer ({str(reviewer)!r}) and one column per criterion; the columns are {[str(c) for c in df.columns]}",
                column=str(col),
            )
    rows: dict[str, list[int]] = {}
    for r, v in enumerate(df[id_col].tolist()):
        app = parse_text(v)
        if not app:
            raise InputError(
                f"review row {r + 1}, column {str(id_col)!r}: the application id is empty",
                row=r + 1,
                column=str(id_col),
            )
        rows.setdefault(app, []).append(r)
    seen: dict[tuple[str, str], int] = {}
    for r, (v, who) in enumerate(zip(df[id_col].tolist(), df[reviewer].tolist(), strict=True)):
        key = (parse_text(v), parse_text(who))
        if key in seen:
            raise InputError(
                f"review rows {seen[key] + 1} and {r + 1}: reviewer {key[1]!r} reviewed application {key[0]!r} twice; keep one",
                row=r + 1,
                column=str(reviewer),
                value=who,
            )
        seen[key] = r
    other = [c for c in df.columns if c not in (reviewer, *names)]
    records = []
    for app, rs in rows.items():
        rec: dict[Hashable, Any] = {}
        for c in other:
            values = [df[c].iloc[r] for r in rs]
            present = [v for v in values if not is_missing(v)]
            if any(v != present[0] for v in present[1:]):
                raise InputError(
                    f"application {app!r}: column {str(c)!r} differs between its reviews ({', '.join(show(v) for v in present[:3])}); "
                    "an application's own columns must be the same on every review row",
                    column=str(c),
                )
            rec[c] = present[0] if present else values[0]
        for name in names:
            cells = [
                (
                    df[name].iloc[r],
                    f"review row {r + 1} (reviewer {parse_text(df[reviewer].iloc[r])!r})",
                    r + 1,
                    name,
                )
                for r in rs
            ]
            a, lo, hi, n = _combine(name, cells, app, how, missing)
            rec.update({name: a, f"{name}_min": lo, f"{name}_max": hi, f"{name}_n": n})
        records.append(rec)
    out = pd.DataFrame(records)
    if applications is None:
        return out
    if id_col not in applications.columns:
        raise InputError(
            f"the applications table has no column {str(id_col)!r} to join the reviews on",
            column=str(id_col),
        )
    known = [parse_text(v) for v in applications[id_col].tolist()]
    unknown = [a for a in rows if a not in set(known)]
    if unknown:
        raise InputError(
            f"reviews of application {unknown[0]!r}, which is not in the applications table; correct the id",
            value=unknown[0],
        )
    unreviewed = [a for a in known if a not in rows]
    if unreviewed:
        raise InputError(
            f"application {unreviewed[0]!r} has no review; give its reviews, or leave it out of the applications table",
            value=unreviewed[0],
        )
    scores = out.set_index(out[id_col].map(parse_text)).drop(columns=[c for c in other])
    base = applications.drop(columns=[c for c in names if c in applications.columns]).reset_index(drop=True)
    return pd.concat([base, scores.loc[known].reset_index(drop=True)], axis=1)


def aggregate_reviews(
    reviews: pd.DataFrame,
    criteria: Sequence[str] | Mapping[str, Sequence[Hashable]] | None = None,
    *,
    layout: Literal["auto", "wide", "long"] = "auto",
    how: How = "mean",
    missing: Missing = "refuse",
    id: Hashable = "id",
    reviewer: Hashable = "reviewer",
    applications: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per application with each criterion's aggregate score and its spread.

    Parameters
    ----------
    reviews
        The reviews, wide or long (see the module documentation). Not modified.
    criteria
        The criteria: names (wide: columns ``<name>_r1``, ``<name>_r2``, ...; long: one
        column each), or a mapping name -> the columns of its reviews (wide). Default
        (wide): every group of columns ``<name>_r<k>``.
    layout
        ``"wide"``, ``"long"``, or ``"auto"``: long when the table has the ``reviewer`` column.
    how
        ``"mean"`` (default) or ``"median"``.
    missing
        A reviewer's missing score: ``"refuse"`` (default: an error naming it) or
        ``"ignore"`` (aggregate the others). Never read as 0.
    id, reviewer
        The columns with the application's id and (long) the reviewer.
    applications
        Long layout: the applications' own columns, one row each, joined on ``id``
        (every application needs reviews, every review an application).

    Returns
    -------
    pandas.DataFrame
        The application columns, then per criterion ``<name>``, ``<name>_min``,
        ``<name>_max`` and ``<name>_n``; ready for :meth:`allocator.Problem.from_frame`.
    """
    import pandas as pd

    if not isinstance(reviews, pd.DataFrame):
        raise InputError(
            f"expected a pandas DataFrame of reviews, got {type(reviews).__name__}",
            value=type(reviews).__name__,
        )
    _check(how, missing)
    if layout == "auto":
        layout = "long" if reviewer in reviews.columns else "wide"
    if layout == "long":
        if criteria is None or isinstance(criteria, Mapping):
            raise InputError(
                "long reviews: give the criteria as a list of their column names, e.g. ['green', 'smart']",
                value=criteria,
            )
        return _long(reviews, list(criteria), how, missing, id, reviewer, applications)
    if layout != "wide":
        raise InputError(f"layout={layout!r}: give 'wide', 'long' or 'auto'", value=layout)
    if isinstance(criteria, Mapping):
        cols = {str(k): list(v) for k, v in criteria.items()}
        for name, cs in cols.items():
            absent = [c for c in cs if c not in reviews.columns]
            if absent or not cs:
                raise InputError(
                    f"criterion {name!r}: review column {str(absent[0]) if absent else '(none)'!r} is not in the table; "
                    f"the columns are {[str(c) for c in reviews.columns]}",
                    column=name,
                )
    else:
        cols = review_columns(list(reviews.columns), None if criteria is None else list(criteria))
        wanted = list(criteria) if criteria is not None else list(cols)
        lacking = [c for c in wanted if c not in cols]
        if lacking or not wanted:
            raise InputError(
                f"no review columns for criterion {lacking[0] if lacking else '(any)'!r}; name them "
                f"'{lacking[0] if lacking else 'green'}_r1', '{lacking[0] if lacking else 'green'}_r2', ... or map the criterion to "
                "its columns, e.g. {'green': ['Grønn A', 'Grønn B']}",
                column=lacking[0] if lacking else None,
            )
        cols = {c: cols[c] for c in wanted}
    return _wide(reviews, cols, how, missing, _id_column(reviews, id))


def _id_column(df: pd.DataFrame, id: Hashable) -> Hashable | None:
    """The id column: ``id``, else a column with a known id header (Søknadsnr ...)."""
    if id in df.columns:
        return id
    known = {normalise_header(h) for h in ("id", *ALIASES["id"])}
    return next((c for c in df.columns if normalise_header(c) in known), None)


def read_reviews(path: str | Path, criteria: Any = None, *, sheet: str | int | None = None, **kw: Any) -> pd.DataFrame:
    """:func:`aggregate_reviews` of a file (CSV, Excel or JSON, read by :func:`allocator.read_table`)."""
    from allocator.io.tables import read_table

    return aggregate_reviews(read_table(path, sheet=sheet), criteria, **kw)
