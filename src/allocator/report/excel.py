"""The adviser's workbook: a solution written as an .xlsx file with xlsxwriter.

Sheets, in order:

``Summary``
    The call, the frame, the status, the portfolio's value and totals, the solver, the
    tie-break rule in force, the criteria (when the problem is given) and the comparison
    with ranking by score and funding down the list.
``Decisions``
    One row per application in the input's order; amounts in kroner with thousands
    separators; funded rows highlighted; autofilter and frozen header.
``Rank and fund``
    The optimal grants beside those of the rank-and-fund practice; rows where they differ
    highlighted, totals underneath. Written when a baseline is given or can be computed
    (``problem=`` given).
``Explanations``
    Any DataFrame passed as ``explanations=`` (one row per application, typically).

Text cells are written as text, never as formulas, so a title beginning with ``=`` cannot
run in the adviser's spreadsheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.analysis.baseline import Comparison, compare, rank_and_fund
from allocator.exceptions import AllocatorError
from allocator.model.problem import Problem
from allocator.rules.check import check
from allocator.solution import Solution

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SHEETS", "rules_broken", "tie_break_text", "write_report"]

SHEETS = ("Summary", "Decisions", "Rank and fund", "Explanations")
"""Names of the sheets :func:`write_report` can write, in order."""

FUNDED_FILL = "#E2EFDA"  # light green: funded
DIFFERS_FILL = "#FFF2CC"  # light yellow: optimum and rank-and-fund differ
_HEADER_FILL = "#1F4E78"
_MAX_WIDTH = 60


def tie_break_text(keys: tuple[str, ...]) -> str:
    """The tie-break rule of a solution, in words.

    Examples
    --------
    >>> tie_break_text(("green", "-granted", "id"))
    'higher total green score, then lower total grant, then smaller application id'
    >>> tie_break_text(())
    'not applied (first optimum found)'
    """
    if not keys:
        return "not applied (first optimum found)"
    words = []
    for k in keys:
        if k == "id":
            words.append("smaller application id")
        elif k.lstrip("-") == "granted":
            words.append("lower total grant" if k.startswith("-") else "higher total grant")
        else:
            words.append(f"{'lower' if k.startswith('-') else 'higher'} total {k.lstrip('-')} score")
    return ", then ".join(words)


def rules_broken(problem: Problem | None, decisions: Solution | None) -> list[str]:
    """Labels of the call's rules that ``decisions`` break (rank-and-fund ignores the rules)."""
    if problem is None or decisions is None or not getattr(problem, "rules", ()):
        return []

    return check(problem, decisions).rules


def _plain(value: Any) -> Any:
    """numpy scalars to Python, NaN to None (written as an empty cell)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            value = str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is not None and not isinstance(value, (str, int, float, bool)):
        try:
            import pandas as pd

            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        return str(value)
    return value


@dataclass(frozen=True)
class _Col:
    header: str
    kind: str  # text, money, score, int, pct, num
    width: float = 0.0


class _Formats:
    """Cell formats by (kind, fill), created once per workbook."""

    def __init__(self, wb: Any, currency: str) -> None:
        self.wb = wb
        unit = "kr" if currency.upper() in ("NOK", "SEK", "DKK", "") else currency
        self.num = {
            "text": None,
            "money": f'#,##0 "{unit}"',
            "score": "0.0000",
            "int": "0",
            "pct": "0%",
            "num": "General",
        }
        self.cache: dict[tuple[str, str | None, bool], Any] = {}
        self.header = wb.add_format({"bold": True, "font_color": "white", "bg_color": _HEADER_FILL, "text_wrap": True, "valign": "top"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.section = wb.add_format({"bold": True, "font_size": 12, "bottom": 1})
        self.label = wb.add_format({"bold": True})

    def get(self, kind: str, fill: str | None = None, bold: bool = False) -> Any:
        key = (kind, fill, bold)
        if key not in self.cache:
            props: dict[str, Any] = {"valign": "top"}
            if self.num.get(kind):
                props["num_format"] = self.num[kind]
            if fill:
                props["bg_color"] = fill
            if bold:
                props["bold"] = True
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def _shown_len(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "money" and isinstance(value, (int, float)):
        return len(f"{value:,.0f}") + 3
    if kind == "score" and isinstance(value, (int, float)):
        return 7
    return len(str(value))


def _table(ws: Any, fmts: _Formats, cols: list[_Col], rows: list[list[Any]], fills: list[str | None], *, top: int = 0) -> int:
    """Write a header and rows at row ``top``; autofilter, frozen header, widths. Returns rows used."""
    for c, col in enumerate(cols):
        ws.write_string(top, c, col.header, fmts.header)
    for r, (row, fill) in enumerate(zip(rows, fills, strict=True), start=top + 1):
        for c, (col, value) in enumerate(zip(cols, row, strict=True)):
            _write(ws, r, c, value, fmts.get(col.kind, fill))
    last = top + len(rows)
    ws.autofilter(top, 0, max(last, top), len(cols) - 1)
    ws.freeze_panes(top + 1, 1)
    for c, col in enumerate(cols):
        longest = max([_shown_len(row[c], col.kind) for row in rows] + [len(col.header) if len(col.header) < 14 else 12])
        ws.set_column(c, c, min(_MAX_WIDTH, max(6, col.width, longest + 2)))
    return len(rows) + 1


def _write(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    value = _plain(value)
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _check_problem(solution: Solution, problem: Problem | None) -> None:
    if problem is None or not solution.decisions:
        return
    ids = [a.id for a in problem.applications]
    if ids != [d.id for d in solution.decisions]:
        raise AllocatorError(
            "write_report: the problem's applications are not those of the solution; "
            "pass the problem that was solved (same ids, same order)"
        )


def _summary(ws: Any, fmts: _Formats, sol: Solution, problem: Problem | None, comp: Comparison | None, broken: list[str]) -> None:
    name = sol.problem_name or (problem.name if problem is not None else "") or "(unnamed call)"
    ws.write_string(0, 0, f"allocator: {name}", fmts.title)
    r = 2
    requested = sum(d.requested for d in sol.decisions)
    has = sol.status.has_solution
    gap = "proven optimal" if sol.status.value == "optimal" else (f"{sol.gap:.3%}" if sol.gap is not None else "unknown")
    rows: list[tuple[str, Any, str]] = [
        ("Call", name, "text"),
        ("Status", sol.status.value + (f" ({sol.message})" if sol.message.lower() not in ("", sol.status.value) else ""), "text"),
        ("Frame", sol.frame, "money"),
        ("Total requested", requested, "money"),
        ("Total granted", sol.total_granted if has else None, "money"),
        ("Frame left", sol.frame_left if has else None, "money"),
        ("Applications", len(sol.decisions), "int"),
        ("Funded", sol.n_funded if has else None, "int"),
        ("Portfolio value (sum of weighted scores x share granted)", sol.objective, "score"),
        ("Optimality", gap if has else "no portfolio", "text"),
        ("Solver", f"{sol.solver} {sol.solver_version}".strip(), "text"),
        ("Run time (s)", round(sol.runtime_s, 3), "num"),
        ("Tie-break among equal-value portfolios", tie_break_text(sol.tie_break), "text"),
    ]
    if problem is not None:
        o = problem.options
        funding = f"partial, in steps of {o.step:,} kr above each minimum" if o.partial else "all or nothing"
        rows.append(("Funding", funding, "text"))
        rows.append(("Normalisation", "score / scale max (not funding = 0)" if o.normalisation == "max" else "(score - min) / (max - min)", "text"))
        if o.min_total_score is not None:
            rows.append(("Threshold on weighted score", o.min_total_score, "score"))
    for label, value, kind in rows:
        ws.write_string(r, 0, label, fmts.label)
        _write(ws, r, 1, value, fmts.get(kind))
        r += 1
    if problem is not None:
        r += 1
        ws.write_string(r, 0, "Criteria", fmts.section)
        r += 1
        for c, h in enumerate(("criterion", "weight", "scale min", "scale max", "threshold")):
            ws.write_string(r, c, h, fmts.header)
        for crit in problem.criteria:
            r += 1
            for c, v in enumerate((crit.display, crit.weight, crit.scale_min, crit.scale_max, crit.threshold)):
                _write(ws, r, c, v, fmts.get("num"))
        r += 1
    if comp is not None:
        r += 1
        ws.write_string(r, 0, "Compared with ranking by score and funding down the list", fmts.section)
        r += 1
        pct = comp.improvement_pct / 100 if comp.improvement_pct is not None else None
        for label, value, kind in (
            ("Value, optimal portfolio", comp.optimal_value, "score"),
            ("Value, rank and fund", comp.baseline_value, "score"),
            ("Gain", comp.improvement, "score"),
            ("Gain in per cent", pct, "pct"),
            ("Granted, optimal portfolio", comp.optimal_granted, "money"),
            ("Granted, rank and fund", comp.baseline_granted, "money"),
            ("Funded only by the optimum", ", ".join(comp.only_optimal) or "-", "text"),
            ("Funded only by rank and fund", ", ".join(comp.only_baseline) or "-", "text"),
            ("Funded at another amount", ", ".join(comp.different_amount) or "-", "text"),
            ("Rules of the call broken by rank and fund", "; ".join(broken) or "-", "text"),
        ):
            ws.write_string(r, 0, label, fmts.label)
            _write(ws, r, 1, value, fmts.get(kind))
            r += 1
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 4, 11)


def _decisions(ws: Any, fmts: _Formats, sol: Solution, problem: Problem | None, robustness: Any = None, lang: str = "en") -> None:
    crits = list(problem.criteria) if problem is not None else []
    extra_cols: list[tuple[str, str]] = []
    extra: list[list[Any]] = [[] for _ in sol.decisions]
    if robustness is not None:  # class, core index, acceptability, lottery status beside each decision
        from allocator.robust.excel import decision_columns

        extra_cols, extra = decision_columns(robustness, [d.id for d in sol.decisions], "nb" if lang == "nb" else "en")
    cols = [
        _Col("id", "text"), _Col("title", "text"), _Col("applicant", "text"), _Col("category", "text"),
        _Col("funded", "text"), _Col("requested", "money", 12), _Col("granted", "money", 12),
        _Col("share granted", "pct"), _Col("score", "score", 8), _Col("value", "score", 8), _Col("rank", "int"),
        *(_Col(c.name, "num") for c in crits),
        _Col("eligible", "text"), _Col("reason", "text"), _Col("note", "text"), _Col("binding rules", "text"),
        *(_Col(h, k) for h, k in extra_cols),
    ]
    apps = problem.applications if problem is not None else [None] * len(sol.decisions)
    rows, fills = [], []
    for d, a, more in zip(sol.decisions, apps, extra, strict=True):
        raw = [a.scores.get(c.name) if a is not None else None for c in crits]
        rows.append([
            d.id, d.title, d.applicant, d.category, "yes" if d.funded else "no", d.requested, d.granted,
            d.granted / d.requested, d.score, d.value, d.rank, *raw,
            "yes" if d.eligible else "no", d.reason.value, d.note, "; ".join(d.binding_rules), *more,
        ])
        fills.append(FUNDED_FILL if d.funded else None)
    _table(ws, fmts, cols, rows, fills)


def _rank_and_fund(ws: Any, fmts: _Formats, sol: Solution, base: Solution) -> None:
    other = {d.id: d for d in base.decisions}
    cols = [
        _Col("id", "text"), _Col("title", "text"), _Col("score", "score", 8), _Col("requested", "money", 12),
        _Col("granted, optimal", "money", 12), _Col("granted, rank and fund", "money", 12),
        _Col("difference", "money", 12), _Col("value, optimal", "score", 8), _Col("value, rank and fund", "score", 8),
        _Col("score rank", "int"), _Col("optimal decision", "text"), _Col("rank and fund decision", "text"),
    ]
    rows, fills = [], []
    for d in sol.decisions:
        b = other.get(d.id)
        bg = b.granted if b is not None else 0
        rows.append([
            d.id, d.title, d.score, d.requested, d.granted, bg, d.granted - bg, d.value,
            b.value if b is not None else 0.0, d.rank, d.note or d.reason.value, (b.note or b.reason.value) if b else "",
        ])
        fills.append(DIFFERS_FILL if d.granted != bg else (FUNDED_FILL if d.funded else None))
    used = _table(ws, fmts, cols, rows, fills)
    r = used + 1
    ws.write_string(r, 1, "Total", fmts.label)
    for c, v, kind in (
        (3, sum(d.requested for d in sol.decisions), "money"),
        (4, sol.total_granted, "money"),
        (5, base.total_granted, "money"),
        (6, sol.total_granted - base.total_granted, "money"),
        (7, sol.objective or 0.0, "score"),
        (8, base.objective or 0.0, "score"),
    ):
        _write(ws, r, c, v, fmts.get(kind, bold=True))
    ws.write_string(r + 1, 1, "Frame", fmts.label)
    _write(ws, r + 1, 3, sol.frame, fmts.get("money", bold=True))


def _explanations(ws: Any, fmts: _Formats, df: pd.DataFrame) -> None:
    cols = []
    for name in df.columns:
        dtype = str(df[name].dtype)
        lname = str(name).lower()
        if dtype.startswith(("int", "Int", "uint")) and any(w in lname for w in ("grant", "request", "amount", "frame", "cost", "kr")):
            kind = "money"
        elif dtype.startswith(("float", "Float")):
            kind = "score"
        else:
            kind = "num" if dtype.startswith(("int", "Int", "uint")) else "text"
        cols.append(_Col(str(name), kind))
    rows = [list(t) for t in df.itertuples(index=False, name=None)]
    _table(ws, fmts, cols, rows, [None] * len(rows))


def write_report(
    solution: Solution,
    path: str | PathLike[str],
    *,
    problem: Problem | None = None,
    baseline: Solution | None = None,
    explanations: pd.DataFrame | None = None,
    robustness: Any = None,
    lang: str = "en",
) -> Path:
    """Write ``solution`` as an Excel workbook for the adviser.

    Parameters
    ----------
    solution
        The result of :func:`allocator.solve`.
    path
        Where to write (``.xlsx``); an existing file is replaced.
    problem
        The problem that was solved: adds the criteria, the raw scores and the funding
        rule, and lets the rank-and-fund comparison be computed when ``baseline`` is None.
    baseline
        The portfolio to compare with (default: :func:`allocator.rank_and_fund` of
        ``problem``, when given).
    explanations
        A DataFrame written as the sheet "Explanations".
    robustness, lang
        A :class:`allocator.robust.Robustness`, written as the sheet "Robustness"
        ("Robusthet" with ``lang="nb"``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    AllocatorError
        When the file cannot be written, or the arguments do not fit together.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from allocator import Problem, Criterion, Application, solve
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 9}),
    ...                   Application(id="B", requested=50, scores={"g": 6})])
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.xlsx"
    >>> write_report(solve(p), out, problem=p).name
    'report.xlsx'
    """
    import xlsxwriter
    from xlsxwriter.exceptions import XlsxWriterException

    if not isinstance(solution, Solution):
        raise AllocatorError(f"write_report: expected a Solution, got {type(solution).__name__}; pass the result of allocator.solve")
    if explanations is not None and not hasattr(explanations, "itertuples"):
        raise AllocatorError(f"write_report: explanations must be a pandas DataFrame, got {type(explanations).__name__}")
    _check_problem(solution, problem)
    has = solution.status.has_solution
    if baseline is None and problem is not None and has:
        baseline = rank_and_fund(problem)
    comp = compare(solution, baseline) if baseline is not None and has else None

    target = Path(path)
    wb = xlsxwriter.Workbook(
        str(target), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    wb.set_properties({"title": f"allocator: {solution.problem_name or 'funding decision'}", "author": "allocator"})
    fmts = _Formats(wb, solution.currency)
    broken = rules_broken(problem, baseline) if comp is not None else []
    _summary(wb.add_worksheet("Summary"), fmts, solution, problem, comp, broken)
    _decisions(wb.add_worksheet("Decisions"), fmts, solution, problem, robustness, lang)
    if baseline is not None and has:
        _rank_and_fund(wb.add_worksheet("Rank and fund"), fmts, solution, baseline)
    if explanations is not None:
        _explanations(wb.add_worksheet("Explanations"), fmts, explanations)
    if robustness is not None:
        from allocator.robust.excel import add_sheet

        add_sheet(wb, robustness, lang="nb" if lang == "nb" else "en")
    try:
        wb.close()
    except (XlsxWriterException, OSError) as exc:
        cause = exc.__cause__ or exc.__context__ or exc
        raise AllocatorError(
            f"cannot write the workbook '{target}': {cause}; check that the folder exists, "
            "that you may write there, and that the file is not open in Excel"
        ) from None
    return target
