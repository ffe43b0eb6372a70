"""The adviser's workbook: a solution written as an .xlsx file, to read on screen and to print.

Sheets, in order (names in the report's language, ``lang="en"`` or ``"nb"``):

===================  =========================  ================================================
key                  en / nb                    what
===================  =========================  ================================================
``summary``          Summary / Sammendrag       one page: key figures, categories against caps,
                                                rules at their limit, comparison, criteria and
                                                weights, notes, technical details apart
``meeting``          Agenda with assessment /   the decision meeting's working paper, in rank
                     Saksliste med vurdering    order, with the proposed decision and the reason
``decisions``        Decisions / Tildelinger    funded first by score, grant and reason beside
                                                the title, totals, frame, legend, state aid flag
``rank_and_fund``    Rank and fund /            the best portfolio beside ranking by score
                     Sammenligning
``explanations``     Explanations / Forklaringer  one sentence per application (when given)
``analysis``         Analysis / Analyse         exact scores, raw scores, spreads, margins
``rules``            Rules / Regler             every cap and floor against the grants
``charts``           Charts / Diagrammer        the frame curve (when given) and granted vs
                                                requested per category, native Excel charts
``diagnosis``        Diagnosis / Diagnose       when no portfolio exists: the rules in conflict
===================  =========================  ================================================

then any ``extra_sheets``. Every sheet prints on A4 as it is (landscape, one page wide, the
header and the id columns repeated, a footer with the call, the date and the page).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.analysis.baseline import Comparison
from allocator.exceptions import AllocatorError
from allocator.model.problem import Problem
from allocator.model.solution import Solution
from allocator.report.charts import charts_sheet
from allocator.report.context import Report, SheetWriter, complete
from allocator.report.sheets_compare import rank_and_fund_sheet
from allocator.report.sheets_decisions import decisions_sheet, meeting_sheet
from allocator.report.sheets_explain import analysis_sheet, explanations_sheet
from allocator.report.sheets_rules import diagnosis_sheet, rules_sheet
from allocator.report.sheets_summary import summary_sheet
from allocator.rules.state_aid import REGISTER_THRESHOLD_EUR

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SHEETS", "write_report"]

SHEETS: dict[str, SheetWriter] = {
    "summary": summary_sheet,
    "meeting": meeting_sheet,
    "decisions": decisions_sheet,
    "rank_and_fund": rank_and_fund_sheet,
    "explanations": explanations_sheet,
    "analysis": analysis_sheet,
    "rules": rules_sheet,
    "charts": charts_sheet,
    "diagnosis": diagnosis_sheet,
}
"""The standard sheets by key, in order; each writes nothing when it has nothing to show."""

_NEEDS_DECISIONS = ("meeting", "decisions", "rank_and_fund", "explanations", "analysis")


def _check(solution: Any, problem: Problem | None, sheets: Sequence[str] | None) -> None:
    if not isinstance(solution, Solution):
        raise AllocatorError(
            f"write_report: expected a Solution, got {type(solution).__name__}; pass the result of allocator.solve"
        )
    if problem is not None and not isinstance(problem, Problem):
        raise AllocatorError(f"write_report: problem must be a Problem, got {type(problem).__name__}")
    if (
        problem is not None
        and solution.decisions
        and [a.id for a in problem.applications] != [d.id for d in solution.decisions]
    ):
        raise AllocatorError(
            "write_report: the problem's applications are not those of the solution; "
            "pass the problem that was solved (same ids, same order)"
        )
    unknown = [s for s in sheets or () if s not in SHEETS]
    if unknown:
        raise AllocatorError(f"write_report: unknown sheet {unknown[0]!r}; the sheets are {list(SHEETS)}")


def write_report(
    solution: Solution,
    path: str | PathLike[str],
    *,
    problem: Problem | None = None,
    baseline: Solution | None = None,
    comparison: Comparison | None = None,
    explanations: Any = None,
    frame_curve: pd.DataFrame | None = None,
    lang: str = "en",
    eur_nok: float | None = None,
    state_aid_threshold_eur: int = REGISTER_THRESHOLD_EUR,
    sheets: Sequence[str] | None = None,
    extra_sheets: Sequence[SheetWriter] = (),
    date: dt.date | None = None,
) -> Path:
    """Write ``solution`` as an Excel workbook for the adviser, ready to print.

    Parameters
    ----------
    solution
        The result of :func:`allocator.solve` (also a failed one, ``raise_on_failure=False``:
        the workbook then shows the status and the diagnosis).
    path
        Where to write (``.xlsx``). The file is written beside it first and then moved into
        place: a failure leaves an existing file as it was.
    problem
        The problem that was solved: scores in the call's points, criteria, rules, reasons in
        words, the rank-and-fund comparison. Strongly recommended.
    baseline, comparison
        The portfolio to compare with (default: :func:`allocator.rank_and_fund` of
        ``problem``) and the comparison (default: :func:`allocator.compare`).
    explanations
        :func:`allocator.explain`'s table, or :func:`allocator.analysis.explanations`'s list:
        adds the Explanations sheet, the reasons then say what would change each decision,
        and the margins go to the Analysis sheet. Not computed here (it solves).
    frame_curve
        :func:`allocator.analysis.frame_curve`'s table: adds the frame curve chart. Not
        computed here (it solves).
    lang
        ``"en"`` or ``"nb"`` (formal Bokmål): every sheet name, header, label and sentence.
    eur_nok, state_aid_threshold_eur
        The rate and threshold (EUR 100 000) of the state-aid register flag; the rate
        defaults to the call's de minimis rule's.
    sheets
        The keys of the standard sheets to write (default: all that have something to show;
        see :data:`SHEETS`).
    extra_sheets
        More sheets after the standard ones: callables ``writer(report)`` that add their
        sheet with ``report.add_sheet(name)`` (print setup included) and fill it, using
        ``report.data`` (the solution, the problem ...) and ``report.formats``.
    date
        The date in the footers (default: today).

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
    >>> write_report(solve(p), out, problem=p, lang="nb").name
    'report.xlsx'
    """
    import xlsxwriter
    from xlsxwriter.exceptions import XlsxWriterException

    _check(solution, problem, sheets)
    data = complete(
        solution,
        problem=problem,
        baseline=baseline,
        comparison=comparison,
        explanations=explanations,
        frame_curve=frame_curve,
        lang=lang,
        eur_nok=eur_nok,
        state_aid_threshold_eur=state_aid_threshold_eur,
        date=date,
    )
    target = Path(path)
    if not target.parent.is_dir():
        raise AllocatorError(
            f"cannot write the workbook '{target}': the folder '{target.parent}' does not exist; create it first"
        )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".xlsx", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        wb.set_properties({"title": data.call, "author": "allocator"})
        rep = Report(wb, data)
        for key, writer in SHEETS.items():
            if (sheets is None or key in sheets) and (data.has_solution or key not in _NEEDS_DECISIONS):
                writer(rep)
        for writer in extra_sheets:
            writer(rep)
        if not wb.worksheets():
            raise AllocatorError(f"write_report: none of the sheets {list(sheets or SHEETS)} has anything to show")
        wb.close()
        os.replace(tmp, target)
    except (XlsxWriterException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        cause = exc.__cause__ or exc.__context__ or exc
        raise AllocatorError(
            f"cannot write the workbook '{target}': {cause}; check that the folder exists, "
            "that you may write there, and that the file is not open in Excel"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
