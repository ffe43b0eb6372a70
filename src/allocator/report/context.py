"""What the workbook shows, computed once: :func:`complete` is the one place where what the
caller did not give is worked out (the rank-and-fund portfolio, the comparison, the state-aid
flags, the rules' use, each decision's reason in words). Nothing here solves an integer
program: explanations and the frame curve, which do, are passed in precomputed.

:class:`Report` is what a sheet writer receives: the data, the formats and
:meth:`Report.add_sheet`, which adds a worksheet set up for printing. A sheet writer is
any callable ``writer(report) -> None`` (:data:`SheetWriter`): the standard sheets are, and
so are the extra sheets passed to :func:`allocator.report.write_report`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from allocator.analysis.baseline import Comparison, compare, rank_and_fund
from allocator.analysis.explanation import Explanation
from allocator.exceptions import AllocatorError
from allocator.model.ids import natural_key
from allocator.model.levels import levels
from allocator.model.normalise import weighted_value
from allocator.model.problem import Problem
from allocator.model.solution import Decision, Reason, RuleRef, Solution
from allocator.report.layout import Formats, print_setup
from allocator.rules.check import Checker
from allocator.rules.state_aid import (
    REGISTER_THRESHOLD_EUR,
    StateAidRegister,
    state_aid_register,
)
from allocator.rules.usage import RuleUse, rule_usage
from allocator.words import (
    PointScale,
    check_lang,
    decision_sentence,
    point_scale,
    problem_notes,
    term,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Report", "ReportData", "SheetWriter", "complete", "id_key"]


def id_key(id: str) -> tuple[Any, ...]:
    """Natural order of ids ('A-2' before 'A-10'), total on distinct strings."""
    try:
        return (natural_key(id), id)
    except ValueError:  # ids such as '²' that look like digits
        return ((1, 0, id),), id


@dataclass
class ReportData:
    """Everything the sheets show, in one language."""

    solution: Solution
    problem: Problem | None
    lang: str
    call: str
    date: str
    baseline: Solution | None = None
    comparison: Comparison | None = None
    explanations: dict[str, dict[str, Any]] = field(default_factory=dict)
    frame_curve: pd.DataFrame | None = None
    register: StateAidRegister | None = None
    usage: list[RuleUse] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    scale: PointScale | None = None
    grounds: dict[str, str] = field(default_factory=dict)
    spread: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def has_solution(self) -> bool:
        """Whether there are decisions to show."""
        return self.solution.status.has_solution and bool(self.solution.decisions)

    @property
    def currency(self) -> str:
        """The call's currency."""
        return self.solution.currency

    def by_funding(self) -> list[Decision]:
        """Funded first, each group by score (highest first), then id."""
        return sorted(
            self.solution.decisions,
            key=lambda d: (not d.funded, -d.score, id_key(d.id)),
        )

    def by_rank(self) -> list[Decision]:
        """Rank order (ties share a rank; then id)."""
        return sorted(self.solution.decisions, key=lambda d: (d.rank, id_key(d.id)))

    def points(self, d: Decision) -> float:
        """The decision's score in the call's points (the weighted score without a problem)."""
        return self.scale.points(d.score) if self.scale is not None else d.score

    def points_header(self) -> str:
        """The header of the points column: "Poeng (av 7)" / "Score (of 7)"."""
        if self.scale is None:
            return term("score", self.lang)
        top = self.scale.top
        return term(
            "points",
            self.lang,
            top=f"{top:g}".replace(".", "," if self.lang == "nb" else "."),
        )


SheetWriter = Callable[["Report"], None]
"""A sheet writer: ``writer(report)`` adds and fills its sheet(s) with :meth:`Report.add_sheet`."""


class Report:
    """The workbook being written: its data, formats, and sheets set up for printing."""

    def __init__(self, wb: Any, data: ReportData) -> None:
        self.wb = wb
        self.data = data
        self.lang = data.lang
        self.formats = Formats(wb, data.currency, data.lang)

    def term(self, key: str, **fill: object) -> str:
        """A word of :mod:`allocator.words` in the report's language."""
        return term(key, self.lang, **fill)

    def add_sheet(
        self,
        name: str,
        *,
        header_rows: tuple[int, int] | None = (0, 0),
        id_columns: int = 2,
        one_page: bool = False,
    ) -> Any:
        """A new worksheet called ``name`` (at most 31 characters), set up for A4 printing:
        landscape, one page wide (or one page), ``header_rows`` and the first ``id_columns``
        columns repeated on every page, a footer with the call, the date and the page."""
        ws = self.wb.add_worksheet(name[:31])
        print_setup(
            ws,
            lang=self.lang,
            call=self.data.call,
            date=self.data.date,
            header_rows=header_rows,
            id_columns=id_columns,
            one_page=one_page,
        )
        return ws


def _explanation_rows(explanations: Any, lang: str) -> dict[str, dict[str, Any]]:
    """Explanations by id, from :func:`allocator.explain`'s DataFrame or a list of Explanation."""
    if explanations is None:
        return {}
    if hasattr(explanations, "to_dict") and hasattr(explanations, "columns"):
        if "id" not in explanations.columns:
            raise AllocatorError("write_report: explanations must be allocator.explain(...)'s table (a column 'id')")
        records = explanations.to_dict("records")
        column = f"sentence_{lang}" if f"sentence_{lang}" in explanations.columns else "sentence"
        return {str(r["id"]): {**r, "sentence": r.get(column, "")} for r in records}
    if isinstance(explanations, Sequence) and all(isinstance(e, Explanation) for e in explanations):
        out = {}
        for e in explanations:
            row = e.model_dump()
            row.update(
                sentence=e.sentence(lang),
                margin_up=None if e.margin_up is None else float(e.margin_up),
                margin_down=None if e.margin_down is None else float(e.margin_down),
                reason=e.reason.value,
                **{k: "; ".join(getattr(e, k)) for k in ("rules", "displaces", "also_funded", "replaced_by")},
            )
            out[e.id] = row
        return out
    raise AllocatorError(
        f"write_report: explanations must be allocator.explain(...)'s DataFrame or a list of Explanation, "
        f"got {type(explanations).__name__}"
    )


def _weighted(problem: Problem, scores: Mapping[str, float]) -> Fraction:
    return weighted_value(problem.criteria, scores, problem.options.normalisation)


def _spreads(problem: Problem, scale: PointScale) -> dict[str, tuple[float, float]]:
    """Per application with reviewers' spreads: the score in points with every criterion at its
    lowest, and at its highest, reviewer score."""
    out = {}
    for a in problem.applications:
        if not a.spread:
            continue
        low = {c.name: a.spread.get(c.name, (a.scores[c.name], a.scores[c.name]))[0] for c in problem.criteria}
        high = {c.name: a.spread.get(c.name, (a.scores[c.name], a.scores[c.name]))[1] for c in problem.criteria}
        out[a.id] = (
            scale.points(_weighted(problem, low)),
            scale.points(_weighted(problem, high)),
        )
    return out


def _blocking(problem: Problem, solution: Solution, checker: Checker, d: Decision) -> tuple[list[RuleRef], int]:
    """The rules (and parts) a grant at its minimum would break, everything else unchanged."""
    i = problem.ids.index(d.id)
    minimum = levels(problem.applications[i], problem.options).minimum
    grants = [solution.grants.get(a.id, 0) for a in problem.applications]
    before = {(v.rule, v.part) for v in checker.violations(grants)}
    grants[i] = minimum
    refs = [
        RuleRef(label=v.rule, part=v.part)
        for v in checker.violations(grants)
        if (v.rule, v.part) not in before and v.rule not in ("frame", "grant levels", "eligibility")
    ]
    return refs, minimum


def _grounds(data: ReportData) -> dict[str, str]:
    """The reason for each decision in words: the explanation's sentence when there is one."""
    p, sol, lang = data.problem, data.solution, data.lang
    checker = Checker(p) if p is not None and p.rules else None
    out = {}
    for d in sol.decisions:
        e = data.explanations.get(d.id)
        if e and e.get("sentence"):
            out[d.id] = str(e["sentence"])
            continue
        blocking: list[RuleRef] = []
        minimum = None
        if p is not None and not d.funded and d.reason in (Reason.BLOCKED_BY_RULE, Reason.LOCKED_OUT, Reason.TOO_LARGE):
            if checker is not None and d.reason is not Reason.TOO_LARGE:
                blocking, minimum = _blocking(p, sol, checker, d)
            else:
                minimum = levels(p.application(d.id), p.options).minimum
        out[d.id] = decision_sentence(
            d,
            lang,
            problem=p,
            currency=sol.currency,
            blocking=blocking,
            minimum=minimum,
            of=len(sol.decisions),
        )
    return out


def complete(
    solution: Solution,
    *,
    problem: Problem | None = None,
    baseline: Solution | None = None,
    comparison: Comparison | None = None,
    explanations: Any = None,
    frame_curve: pd.DataFrame | None = None,
    lang: str = "en",
    eur_nok: float | None = None,
    state_aid_threshold_eur: int = REGISTER_THRESHOLD_EUR,
    date: dt.date | None = None,
) -> ReportData:
    """Everything the workbook shows: what is given, and what can be worked out without solving."""
    lang = check_lang(lang)
    call = (
        solution.problem_name
        or (problem.name if problem is not None else "")
        or ("(utlysning uten navn)" if lang == "nb" else "(unnamed call)")
    )
    day = date or dt.date.today()
    data = ReportData(
        solution=solution,
        problem=problem,
        lang=lang,
        call=call,
        date=day.strftime("%d.%m.%Y") if lang == "nb" else day.isoformat(),
        frame_curve=frame_curve,
    )
    if problem is not None:
        data.scale = point_scale(problem)
        data.notes = problem_notes(problem, lang)
        data.spread = _spreads(problem, data.scale)
    if data.has_solution:
        if baseline is None and problem is not None:
            baseline = rank_and_fund(problem)
        data.baseline = baseline
        data.comparison = comparison or (compare(solution, baseline) if baseline is not None else None)
        if problem is not None and baseline is not None and problem.rules:
            data.broken = Checker(problem)(baseline).rules
        data.register = state_aid_register(solution, problem, threshold_eur=state_aid_threshold_eur, eur_nok=eur_nok)
        if problem is not None and problem.rules:
            data.usage = rule_usage(problem, solution)
        data.explanations = _explanation_rows(explanations, lang)
        data.grounds = _grounds(data)
    return data
