"""The contents of a Pabulib ``.pb`` file (:class:`PabulibFile`, :class:`PabulibProject`) and
its conversion to a :class:`~allocator.model.problem.Problem`; the reading is in
:mod:`allocator.io.pabulib`, which documents the format, the scores and the money."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import floor
from pathlib import Path

from allocator.exceptions import AllocatorError, InputError
from allocator.model import Application, Criterion, Problem
from allocator.model.amounts import show
from allocator.model.limits import MAX_AMOUNT, kroner

__all__ = ["APPROVAL_TYPES", "POINTS_TYPES", "PabulibFile", "PabulibProject", "Score", "pb_error"]

APPROVAL_TYPES = frozenset({"approval", "choose-1", "ordinal"})
"""Vote types scored by the number of ballots naming a project."""
POINTS_TYPES = frozenset({"cumulative", "scoring"})
"""Vote types scored by the sum of the points a project received."""

_CRITERION = "votes"

Score = int | Fraction


@dataclass(frozen=True)
class PabulibProject:
    """One line of the PROJECTS section.

    Attributes
    ----------
    id, cost, name, category
        The project id, its cost (exact, in the file's currency), name and category text.
    cost_text
        The cost as written in the file.
    fields
        Every other column of the line, by header name (text as written).
    line
        Line number in the file.
    """

    id: str
    cost: Fraction
    cost_text: str
    name: str
    category: str
    fields: dict[str, str]
    line: int


@dataclass(frozen=True)
class PabulibFile:
    """A parsed ``.pb`` file: its META fields, projects and each project's raw score.

    Attributes
    ----------
    path
        Where it was read from.
    meta
        The META section (``country``, ``unit``, ``instance``, ``vote_type``, ...), as text.
    vote_type
        ``approval``, ``choose-1``, ``ordinal``, ``cumulative`` or ``scoring``.
    budget
        The budget, exact (it may be fractional).
    projects
        The projects, in file order.
    scores
        Raw score per project id (approvals or points), file order.
    n_voters
        Number of ballots (lines of the VOTES section).
    points_cast
        Total positive points over all ballots (cumulative / scoring; 0 otherwise).
    money_unit
        Costs and the frame of :meth:`to_problem` are in units of ``1 / money_unit`` of the
        currency: 1 unless some cost is fractional.
    """

    path: Path
    meta: dict[str, str]
    vote_type: str
    budget: Fraction
    projects: tuple[PabulibProject, ...]
    scores: dict[str, Score]
    n_voters: int
    points_cast: Score = 0
    money_unit: int = 1
    meta_lines: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """A readable name from META: country, unit, district, instance (else the file name)."""
        m = self.meta
        parts = [m.get(k, "").strip() for k in ("country", "unit", "district", "subunit", "instance")]
        seen: list[str] = []
        for p in parts:
            if p and p not in seen:
                seen.append(p)
        return " ".join(seen) or self.path.stem

    @property
    def scale_max(self) -> Score:
        """The largest score a project could get: the number of ballots, or the points cast."""
        top = self.points_cast if self.vote_type in POINTS_TYPES else self.n_voters
        return max(top, 1)

    @property
    def frame(self) -> int:
        """The budget in money units, floored to a whole number."""
        return floor(self.budget * self.money_unit)

    def _check_range(self) -> None:
        """The frame and every cost in money units (after scaling fractional costs) within range."""
        unit = self.money_unit
        scaled = f" (in units of 1/{unit}, as the costs have decimals)" if unit != 1 else ""
        if self.frame > MAX_AMOUNT:
            raise pb_error(
                self.path,
                self.meta_lines.get("budget", 0),
                "META",
                f"budget {self.meta.get('budget')!r} is {show(self.frame)}{scaled}, above the largest amount "
                f"allocator accepts ({kroner(MAX_AMOUNT)})",
                "give the budget and costs in a larger currency unit, or with fewer decimals",
                value=self.meta.get("budget"),
            )
        for p in self.projects:
            if p.cost * unit > MAX_AMOUNT:
                raise pb_error(
                    self.path,
                    p.line,
                    "PROJECTS",
                    f"project {p.id!r}: cost {p.cost_text!r} is {show(int(p.cost * unit))}{scaled}, above the largest "
                    f"amount allocator accepts ({kroner(MAX_AMOUNT)})",
                    "give the costs in a larger currency unit, or with fewer decimals",
                    value=p.cost_text,
                )

    def to_problem(self) -> Problem:
        """The funding question: one criterion ``votes``, the budget as frame, costs as requests."""
        unit = self.money_unit
        frame = self.frame
        self._check_range()
        if frame <= 0:
            line = self.meta_lines.get("budget", 0)
            raise pb_error(
                self.path,
                line,
                "META",
                f"budget {self.meta.get('budget')!r} is less than one currency unit",
                "give the budget in whole currency units, greater than 0",
            )
        low = min((s for s in self.scores.values()), default=0)
        criterion = Criterion(
            name=_CRITERION,
            weight=1.0,
            scale_min=float(min(low, 0)),
            scale_max=float(self.scale_max),
            label="votes" if self.vote_type in APPROVAL_TYPES else "points",
        )
        apps = []
        for p in self.projects:
            raw = self.scores[p.id]
            labels = ",".join((p.category, p.fields.get("target", ""), p.fields.get("targets", "")))
            tags = tuple(dict.fromkeys(t.strip() for t in labels.split(",") if t.strip()))
            attrs: dict[str, str | int | float | bool | None] = {f"pb_{k}": v for k, v in p.fields.items()}
            attrs["pb_cost"] = p.cost_text
            attrs[_CRITERION] = int(raw) if raw.denominator == 1 else float(raw)
            apps.append(
                Application(
                    id=p.id,
                    title=p.name,
                    category=p.category,
                    tags=tags,
                    requested=int(p.cost * unit),
                    scores={_CRITERION: float(raw)},
                    attributes=attrs,
                )
            )
        currency = self.meta.get("currency", "").strip()
        if unit != 1:
            currency = f"{currency or 'currency'}/{unit}"
        try:
            return Problem(
                name=self.name, currency=currency, frame=frame, criteria=(criterion,), applications=tuple(apps)
            )
        except AllocatorError as exc:
            raise InputError(f"{self.path.name}: {exc}") from None


def pb_error(path: Path, line: int, section: str, problem: str, fix: str, *, value: object = None) -> InputError:
    where = f"{path.name}, line {line}" if line else path.name
    if section:
        where += f" ({section})"
    return InputError(f"{where}: {problem}; {fix}", row=line or None, column=section or None, value=value)
