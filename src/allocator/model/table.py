"""DataFrame <-> the fields of a Problem: read a table of applications, validating every cell.

:func:`fields_from_frame` (behind :meth:`allocator.Problem.from_frame`) is the door through which tables come in (CSV and Excel files
are read into a DataFrame first, see :mod:`allocator.io.tables`). Every mistake in
the table becomes one :class:`~allocator.exceptions.InputError` that names the row, the
column as the table names it, the value and the fix, for example::

    row 3 (id '2022-R2-03'), column 'Søknadsbeløp': -5000 must be greater than 0;
    give the requested amount in whole kroner

Rows are numbered from 1 at the first data row (line 2 of a file with a header row), in
the table's order, whatever its index. The caller's DataFrame is never modified.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from allocator.exceptions import AllocatorError, InputError
from allocator.model.arguments import (
    check_frame,
    check_weights,
    make_options,
    per_criterion,
    scale_of,
)
from allocator.model.cells import (
    CellError,
    is_missing,
    parse_amount,
    parse_number,
    parse_tags,
    parse_text,
    show,
    to_scalar,
)
from allocator.model.columns import resolve_columns
from allocator.model.limits import check_score
from allocator.model.parts import Application, Criterion, Options
from allocator.model.spread import read_spreads, spread_columns
from allocator.model.texts import invisible_difference

__all__ = ["fields_from_frame"]

_AMOUNT_FIX = {
    "requested": "give the requested amount in whole kroner, greater than 0",
    "minimum": "give the smallest viable grant in whole kroner, greater than 0, or leave the cell empty",
    "total_cost": "give the total project cost in whole kroner, greater than 0, or leave the cell empty",
}


def _where(row: int, id_: str | None, column: Hashable) -> str:
    at = f"row {row}"
    if id_:
        at += f" (id {id_!r})"
    return f"{at}, column {str(column)!r}"


def _cell_error(row: int, id_: str | None, column: Hashable, value: Any, why: str, fix: str) -> InputError:
    said = "the cell is empty" if is_missing(value) else f"{show(value)} {why}"
    return InputError(
        f"{_where(row, id_, column)}: {said}; {fix}",
        row=row,
        column=str(column),
        value=value,
    )


def fields_from_frame(
    df: pd.DataFrame,
    *,
    frame: int,
    weights: Mapping[str, float],
    scales: Mapping[str, Any] | Any = None,
    thresholds: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    labels_nb: Mapping[str, str] | None = None,
    options: Options | Mapping[str, Any] | None = None,
    name: str = "",
    currency: str = "NOK",
    min_total_score: float | None = None,
    **columns: Hashable,
) -> dict[str, Any]:
    """The fields of a :class:`~allocator.model.problem.Problem` read from a table of applications.

    Parameters
    ----------
    df
        One row per application. Required columns: ``id``, ``requested`` and one score
        column per criterion named in ``weights``. Optional: ``minimum``, ``total_cost``,
        ``title``, ``applicant``, ``category``, ``tags`` (separated by ';' or ',').
        Common Norwegian headers are recognised (Søknadsnr, Søknadsbeløp, Grønn omstilling,
        ...; see :mod:`allocator.model.columns`), ignoring case and extra spaces.
        Every other column is kept in ``Application.attributes`` under its header, so that
        rules can select applications by any column.
    frame
        The total budget, whole kroner, > 0 (``"2 300 000"`` is accepted).
    weights
        Criterion name -> weight (>= 0, not all 0; only ratios matter). Each name is a
        score column, or is mapped to one by keyword (``green="Grønn omstilling"``).
    scales
        The scale of each criterion: a mapping criterion -> ``(min, max)`` or ``max``, or
        one such value for all criteria. **Default: one scale shared by every criterion
        given none, from 0 to the largest score in any of their columns** (1 if no score
        is positive), so that the weights keep the ratios given and no application's
        value depends on another's scores. The criteria are then marked
        ``scale_inferred`` and the reports say so. Give the real scale whenever you know
        it (``scales=(1, 7)``).
    thresholds
        Criterion -> eligibility threshold on its raw score (default: none).
    labels
        Criterion -> display name. Default: the column header when it differs from the
        criterion's name ("Grønn omstilling"), else none.
    labels_nb
        Criterion -> display name in Norwegian Bokmål, for reports in ``lang="nb"``
        (default: the label).
    options
        An :class:`~allocator.model.problem.Options` or a dict of its fields (default: ``Options()``,
        binary funding).
    name, currency
        The call's name and currency (default ``"NOK"``).
    min_total_score
        Eligibility threshold on the weighted total score; sets ``options.min_total_score``.
    **columns
        Column mapping, ``field or criterion = column header``: ``id="Søknadsnr"``,
        ``requested="Søknadsbeløp"``, ``green="Grønn omstilling"``.

    Returns
    -------
    dict
        ``name``, ``currency``, ``frame``, ``criteria``, ``applications``, ``options``:
        the keyword arguments of :class:`~allocator.model.problem.Problem`.

    Raises
    ------
    InputError
        For a missing column, an empty table, duplicate ids, an amount that is not a
        positive whole number, a minimum above the request, an empty or non-numeric score
        or one outside its scale, bad weights, scales or frame. The message names the row
        (from 1 at the first data row), the id, the column, the value and the fix; the
        error's ``row``, ``column`` and ``value`` attributes carry the same.

    Examples
    --------
    >>> import pandas as pd
    >>> from allocator import Problem
    >>> df = pd.DataFrame({"Søknadsnr": ["A", "B"], "Søknadsbeløp": ["150 000", "kr 90.000"],
    ...                    "Grønn omstilling": [6, 4], "Fylkesdel": ["Telemark", "Vestfold"]})
    >>> p = Problem.from_frame(df, frame=200_000, weights={"green": 1}, scales=(1, 7))
    >>> [(a.id, a.requested, a.scores["green"], a.attributes) for a in p.applications]
    [('A', 150000, 6.0, {'Fylkesdel': 'Telemark'}), ('B', 90000, 4.0, {'Fylkesdel': 'Vestfold'})]
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"expected a pandas DataFrame of applications, got {type(df).__name__}", value=type(df).__name__
        )
    frame_amount = check_frame(frame)
    w = check_weights(weights)
    crits = list(w)
    if len(df) == 0 and len(df.columns) == 0:
        raise InputError("the table is empty (no columns, no rows); give one row per application", value=0)
    if df.columns.has_duplicates:
        dup = str(df.columns[df.columns.duplicated()][0])
        raise InputError(f"column {dup!r} appears more than once; give each column its own header", column=dup)
    found = resolve_columns(list(df.columns), crits, columns)
    if len(df) == 0:
        raise InputError(
            f"the table has no rows (columns {[str(c) for c in df.columns]}); give one row per application",
            value=0,
        )
    scale_spec = per_criterion(scales, crits, "scales")
    thr = per_criterion(thresholds, crits, "thresholds")
    lab = per_criterion(labels, crits, "labels")
    lab_nb = per_criterion(labels_nb, crits, "labels_nb")
    cells = {field: df[col].tolist() for field, col in found.items()}
    used = set(found.values()) | set(spread_columns(list(df.columns), crits, found))
    extra = [c for c in df.columns if c not in used]
    extra_cells = {c: df[c].tolist() for c in extra}

    ids = _read_ids(cells["id"], found["id"])
    scores = {c: _read_scores(cells[c], found[c], ids) for c in crits}
    spreads = read_spreads(df, crits, found, scores, ids)
    # one shared scale for every criterion without a given one: 0 to the largest score
    shared = max((s for c in crits if scale_spec.get(c) is None for s in scores[c]), default=None)
    criteria = []
    for c in crits:
        lo, hi = scale_of(c, scale_spec.get(c), found[c], shared)
        _check_inscale_of(scores[c], found[c], ids, c, lo, hi, c in scale_spec)
        label = lab.get(c)
        if label is None:
            label = str(found[c]) if str(found[c]) != c else ""
        threshold = _threshold(thr.get(c), c, found[c], lo, hi)
        criteria.append(
            Criterion(
                name=c,
                weight=w[c],
                scale_min=lo,
                scale_max=hi,
                threshold=threshold,
                label=str(label),
                label_nb=str(lab_nb.get(c) or ""),
                scale_inferred=scale_spec.get(c) is None,
            )
        )
    apps = []
    for i, id_ in enumerate(ids):
        row = i + 1
        amounts = {f: _amount(cells, found, f, i, id_) for f in ("requested", "minimum", "total_cost") if f in found}
        req, mini = amounts["requested"], amounts.get("minimum")
        assert req is not None  # _amount refuses an empty request
        _check_amount_order(row, id_, amounts, cells, found, i)
        attrs = {str(c): to_scalar(extra_cells[c][i]) for c in extra}
        try:
            apps.append(
                Application(
                    id=id_,
                    title=parse_text(cells["title"][i]) if "title" in cells else "",
                    applicant=parse_text(cells["applicant"][i]) if "applicant" in cells else "",
                    category=parse_text(cells["category"][i]) if "category" in cells else "",
                    tags=parse_tags(cells["tags"][i]) if "tags" in cells else (),
                    requested=req,
                    minimum=mini,
                    total_cost=amounts.get("total_cost"),
                    scores={c: scores[c][i] for c in crits},
                    attributes=attrs,
                    spread=spreads[i],
                )
            )
        except AllocatorError as exc:  # pragma: no cover - every field is checked above
            raise InputError(f"row {row} (id {id_!r}): {exc}", row=row) from None
    return {
        "name": name,
        "currency": currency,
        "frame": frame_amount,
        "criteria": tuple(criteria),
        "applications": tuple(apps),
        "options": make_options(options, min_total_score),
    }


def _threshold(given: Any, name: str, column: Hashable, lo: float, hi: float) -> float | None:
    """A criterion's threshold: a number on its scale [lo, hi] (None when not given)."""
    if given is None:
        return None
    try:
        t = parse_number(given) if not isinstance(given, bool) else None
    except CellError as exc:
        raise InputError(
            f"threshold {show(given)} of criterion {name!r} (column {str(column)!r}) {exc}; "
            f"give a number on its scale [{lo:g}, {hi:g}], e.g. thresholds={{{name!r}: {lo + (hi - lo) / 2:g}}}",
            column=str(column),
            value=given,
        ) from None
    if t is None or not lo <= t <= hi:
        raise InputError(
            f"threshold {show(given)} of criterion {name!r} (column {str(column)!r}) lies outside its "
            f"scale [{lo:g}, {hi:g}]; "
            f"give a threshold on the scale, or the scale with scales={{{name!r}: (min, max)}}",
            column=str(column),
            value=given,
        )
    return t


def _check_amount_order(
    row: int,
    id_: str,
    amounts: Mapping[Any, int | None],
    cells: Mapping[str, list[Any]],
    found: Mapping[str, Hashable],
    i: int,
) -> None:
    """minimum <= requested <= total_cost, naming the cell that breaks it."""
    req, mini, cost = amounts["requested"], amounts.get("minimum"), amounts.get("total_cost")
    assert req is not None
    if mini is not None and mini > req:
        raise _cell_error(
            row,
            id_,
            found["minimum"],
            cells["minimum"][i],
            f"exceeds the requested amount {req}",
            "lower the minimum to at most the request, or leave it empty",
        )
    if cost is not None and cost < req:
        raise _cell_error(
            row,
            id_,
            found["total_cost"],
            cells["total_cost"][i],
            f"is below the requested amount {req}",
            "give the whole project's cost (at least the request), or leave it empty",
        )


def _read_ids(values: list[Any], column: Hashable) -> list[str]:
    ids: list[str] = []
    first: dict[str, tuple[int, Any]] = {}
    for i, v in enumerate(values):
        row = i + 1
        if isinstance(v, bool) or (
            isinstance(v, numbers.Real)
            and not isinstance(v, numbers.Integral)
            and math.isfinite(float(v))
            and not float(v).is_integer()
        ):
            raise _cell_error(row, None, column, v, "is not a usable id", "give a text or whole-number id")
        text = parse_text(v)
        if not text:
            raise _cell_error(row, None, column, v, "is not an id", "give every application a unique id")  # empty
        if text in first:
            row0, v0 = first[text]
            raw0, raw = str(v0), str(v)
            how = ""
            if isinstance(v0, str) and isinstance(v, str) and raw0.strip() != raw.strip():
                how = (
                    f" (the cells differ only invisibly: {invisible_difference(raw0, raw)}; ids are compared after "
                    "Unicode normalisation NFC, without invisible characters)"
                )
            raise InputError(
                f"rows {row0} and {row}, column {str(column)!r}: id {text!r} appears twice{how}; "
                "give every application a unique id",
                row=row,
                column=str(column),
                value=v,
            )
        first[text] = (row, v)
        ids.append(text)
    return ids


def _read_scores(values: list[Any], column: Hashable, ids: list[str]) -> list[float]:
    out: list[float] = []
    for i, v in enumerate(values):
        try:
            s = parse_number(v)
            if s is not None:
                check_score(s)
        except ValueError as exc:
            raise _cell_error(i + 1, ids[i], column, v, str(exc), "give a score on the criterion's scale") from None
        if s is None:
            raise _cell_error(
                i + 1,
                ids[i],
                column,
                v,
                "is not a score",
                "give a score on the criterion's scale in every row (0 if it truly scored nothing)",
            )
        out.append(s)
    return out


def _check_inscale_of(
    scores: list[float], column: Hashable, ids: list[str], name: str, lo: float, hi: float, given: bool
) -> None:
    for i, s in enumerate(scores):
        if not lo <= s <= hi:
            fix = (
                f"correct the score, or the scale given as scales={{{name!r}: ({lo:g}, {hi:g})}}"
                if given
                else f"correct the score, or give the scale with scales={{{name!r}: (min, max)}} "
                f"(the default scale runs from 0 to the largest score of the criteria without one)"
            )
            raise _cell_error(i + 1, ids[i], column, s, f"lies outside the scale [{lo:g}, {hi:g}]", fix)


def _amount(cells: dict[str, list[Any]], found: dict[str, Hashable], field: str, i: int, id_: str) -> int | None:
    value = cells[field][i]
    column = found[field]
    try:
        amount = parse_amount(value)
    except CellError as exc:
        raise _cell_error(i + 1, id_, column, value, str(exc), _AMOUNT_FIX[field]) from None
    if amount is None:
        if field == "requested":
            raise _cell_error(i + 1, id_, column, value, "is not an amount", _AMOUNT_FIX[field])
        return None
    if amount <= 0:
        raise _cell_error(i + 1, id_, column, value, "must be greater than 0", _AMOUNT_FIX[field])
    return amount
