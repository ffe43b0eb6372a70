"""One call for the whole analysis: :func:`robust` -> :class:`Robustness`.

It runs, in turn, the exact analysis (the non-dominated set when it is small enough,
otherwise each class by search), optionally sampled acceptability, and the plan of the
draw (each borderline application's inclusion probability), and presents them per
application as a DataFrame (English or Norwegian) and as JSON (:class:`RobustnessReport`).

Examples
--------
>>> from allocator import Problem, Criterion, Application
>>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
...     applications=[Application(id="A", requested=60, scores={"g": 8}),
...                   Application(id="B", requested=50, scores={"g": 5}),
...                   Application(id="C", requested=40, scores={"g": 4})])
>>> from allocator.robust import Uncertainty
>>> r = robust(p, Uncertainty.of(plus_minus=2), samples=200)
>>> r.to_frame()[["class", "core_index", "inclusion_probability"]].values.tolist()
[['borderline', 0.5, 0.5], ['borderline', 0.5, 0.5], ['core', 1.0, None]]
>>> r.to_frame(lang="nb").columns[:4].tolist()
['id', 'tittel', 'søknadsbeløp', 'klasse']
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from allocator.robust.draw import DrawPlan, DrawRecord, Lottery, input_hash
from allocator.robust.exact import (
    DEFAULT_LIMIT,
    ExactResult,
    TooManyPortfolios,
    classify,
    enumerable,
    nondominated,
)
from allocator.robust.sample import Acceptability, acceptability
from allocator.robust.uncertainty import Uncertainty

if TYPE_CHECKING:
    import pandas as pd

    from allocator.model import Problem

__all__ = ["LABELS", "ApplicationRobustness", "Robustness", "RobustnessReport", "robust"]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "id": "id",
        "title": "title",
        "requested": "requested",
        "class": "class",
        "core_index": "core_index",
        "acceptability": "acceptability",
        "acceptability_se": "acceptability_se",
        "inclusion_probability": "inclusion_probability",
        "inclusion_se": "inclusion_se",
        "lottery": "lottery",
        "funded_at": "funded_at_weights",
        "core": "core",
        "borderline": "borderline",
        "exterior": "exterior",
        "undecided": "undecided",
        "lot_core": "funded (core)",
        "lot_exterior": "not funded (exterior)",
        "lot_in": "in the draw",
        "lot_drawn": "drawn",
        "lot_not_drawn": "not drawn",
        "lot_undecided": "undecided",
    },
    "nb": {
        "id": "id",
        "title": "tittel",
        "requested": "søknadsbeløp",
        "class": "klasse",
        "core_index": "kjerneindeks",
        "acceptability": "akseptabilitet",
        "acceptability_se": "akseptabilitet_standardfeil",
        "inclusion_probability": "sannsynlighet_i_trekningen",
        "inclusion_se": "sannsynlighet_standardfeil",
        "lottery": "trekning",
        "funded_at": "innvilget_ved_vekter",
        "core": "kjerne",
        "borderline": "grensetilfelle",
        "exterior": "utenfor",
        "undecided": "uavklart",
        "lot_core": "innvilget (kjerne)",
        "lot_exterior": "avslått (utenfor)",
        "lot_in": "med i trekningen",
        "lot_drawn": "trukket ut",
        "lot_not_drawn": "ikke trukket ut",
        "lot_undecided": "uavklart",
    },
}
"""Column names and words, English and Norwegian (bokmål)."""


class ApplicationRobustness(BaseModel):
    """One application's robustness, as in the JSON report."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str = ""
    requested: int
    robust_class: Literal["core", "borderline", "exterior", "undecided"]
    core_index: float | None = None
    acceptability: float | None = None
    acceptability_se: float | None = None
    central_weights: dict[str, float] | None = None
    inclusion_probability: float | None = None
    inclusion_se: float | None = None
    lottery: Literal["core", "exterior", "in_draw", "drawn", "not_drawn", "undecided"]
    funded_at_weights: list[dict[str, float]] = []
    reason: str = ""


class RobustnessReport(BaseModel):
    """The whole analysis as JSON (``model_dump_json`` / ``model_validate_json``)."""

    model_config = ConfigDict(frozen=True)

    input_hash: str
    uncertainty: Uncertainty
    method: str
    complete: bool
    nondominated: int | None
    extreme_weights: list[dict[str, float]]
    applications: list[ApplicationRobustness]
    samples: int = 0
    plan: DrawPlan | None = None
    draw: DrawRecord | None = None
    notes: list[str] = []
    seconds: float = 0.0


@dataclass(frozen=True)
class Robustness:
    """The result of :func:`robust`: exact part, sampled part, the draw's plan and record."""

    problem: Problem
    uncertainty: Uncertainty
    exact: ExactResult
    sampled: Acceptability | None = None
    plan: DrawPlan | None = None
    record: DrawRecord | None = None
    notes: tuple[str, ...] = ()

    def _lottery(self, i: int) -> str:
        c = self.exact.classes[i]
        if c != "borderline":
            return c
        if self.record is None:
            return "in_draw"
        return "drawn" if self.problem.ids[i] in self.record.drawn else "not_drawn"

    def report(self) -> RobustnessReport:
        """The JSON form."""
        e, s, names = self.exact, self.sampled, [c.name for c in self.problem.criteria]
        apps = []
        for i, a in enumerate(self.problem.applications):
            apps.append(
                ApplicationRobustness(
                    id=a.id,
                    title=a.title,
                    requested=a.requested,
                    robust_class=e.classes[i],  # type: ignore[arg-type]
                    core_index=None if e.core_index is None else float(e.core_index[i]),
                    acceptability=None if s is None else float(s.share[i]),
                    acceptability_se=None if s is None else float(s.se[i]),
                    central_weights=None
                    if s is None or s.share[i] == 0
                    else dict(zip(names, map(float, s.central_weights[i]), strict=True)),
                    inclusion_probability=None if self.plan is None else self.plan.probabilities.get(a.id),
                    inclusion_se=None if self.plan is None else self.plan.se.get(a.id),
                    lottery=self._lottery(i),  # type: ignore[arg-type]
                    funded_at_weights=[_weights(names, w) for w in e.funded_at(i)],
                    reason=e.fixed.get(i, ""),
                )
            )
        return RobustnessReport(
            input_hash=input_hash(self.problem, self.uncertainty),
            uncertainty=self.uncertainty,
            method=e.method,
            complete=e.complete,
            nondominated=None if e.portfolios is None else len(e.portfolios),
            extreme_weights=[_weights(names, w) for w in e.values.vertices],
            applications=apps,
            samples=0 if s is None else s.n,
            plan=self.plan,
            draw=self.record,
            notes=[*e.notes, *self.notes],
            seconds=e.seconds + (0.0 if s is None else s.seconds),
        )

    def to_frame(self, lang: Literal["en", "nb"] = "en") -> pd.DataFrame:
        """One row per application (input order): class, core index, acceptability and its
        error, inclusion probability in the draw, lottery status, the weights at which it is funded."""
        import pandas as pd

        L = LABELS[lang]
        rows = []
        for a in self.report().applications:
            rows.append(
                {
                    L["id"]: a.id,
                    L["title"]: a.title,
                    L["requested"]: a.requested,
                    L["class"]: L[a.robust_class],
                    L["core_index"]: a.core_index,
                    L["acceptability"]: a.acceptability,
                    L["acceptability_se"]: a.acceptability_se,
                    L["inclusion_probability"]: a.inclusion_probability,
                    L["inclusion_se"]: a.inclusion_se,
                    L["lottery"]: L[_LOT[a.lottery]],
                    L["funded_at"]: "; ".join(
                        ", ".join(f"{k}={v:.3g}" for k, v in w.items()) for w in a.funded_at_weights
                    ),
                }
            )
        df = pd.DataFrame(rows)
        return df.astype(
            {L["core_index"]: object, L["acceptability"]: object, L["inclusion_probability"]: object}
        ).where(df.notna(), None)

    def __repr__(self) -> str:
        counts = {c: self.exact.classes.count(c) for c in ("core", "borderline", "exterior", "undecided")}
        st = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        nd = (
            f"{len(self.exact.portfolios)} non-dominated portfolios"
            if self.exact.portfolios is not None
            else "set not listed"
        )
        return f"Robustness({st}; {nd}; {self.exact.method}, {self.exact.seconds:.2f}s)"


_LOT = {
    "core": "lot_core",
    "exterior": "lot_exterior",
    "in_draw": "lot_in",
    "drawn": "lot_drawn",
    "not_drawn": "lot_not_drawn",
    "undecided": "lot_undecided",
}


def _weights(names: list[str], w: tuple[Fraction, ...]) -> dict[str, float]:
    return {n: float(x) for n, x in zip(names, w, strict=True)}


def robust(
    problem: Problem,
    uncertainty: Uncertainty,
    *,
    limit: int = DEFAULT_LIMIT,
    time_limit: float | None = None,
    samples: int = 0,
    seed: int = 0,
    executor: Executor | None = None,
    plan: bool = True,
    draw_seed: str | None = None,
    full_set: bool | None = None,
    **solve_options: Any,
) -> Robustness:
    """The whole robustness analysis of ``problem`` under ``uncertainty``.

    Parameters
    ----------
    limit
        Most non-dominated portfolios to list; beyond it the classes are decided by search.
    time_limit
        Seconds for the exact part; applications still open then are ``undecided``.
    samples, seed, executor
        Sampled acceptability with this many draws (0: none), on this executor.
    plan
        Compute each borderline application's inclusion probability in the draw.
    draw_seed
        Make the draw with this public seed (text).
    full_set
        List the whole non-dominated set: ``None`` (default) when every portfolio can be
        enumerated, ``True`` also by integer programs (up to ``limit``), ``False`` never.
    """
    notes: list[str] = []
    try:
        if full_set is False or (full_set is None and not enumerable(problem)):
            exact = classify(problem, uncertainty, time_limit=time_limit, limit=0 if full_set is False else limit)
        else:
            exact = nondominated(problem, uncertainty, limit=limit, time_limit=time_limit)
    except TooManyPortfolios as exc:
        notes.append(str(exc).split(";")[0] + ": classes decided without listing them")
        exact = classify(problem, uncertainty, time_limit=time_limit, limit=limit)
    except Exception as exc:  # a time limit while listing: decide the classes instead
        from allocator.exceptions import SolverError

        if not isinstance(exc, SolverError) or time_limit is None:
            raise
        notes.append(f"listing stopped: {exc}")
        exact = classify(problem, uncertainty, time_limit=time_limit, limit=limit)
    sampled = None
    if samples:
        sampled = acceptability(
            problem, uncertainty, samples, seed=seed, executor=executor, exact=exact, **solve_options
        )
    the_plan = record = None
    undecided = "undecided" in exact.classes
    if undecided and (plan or draw_seed):
        notes.append("no draw plan: some classes are undecided")
    elif plan or draw_seed:
        lottery = Lottery(problem, uncertainty, result=exact)
        the_plan = lottery.plan
        if draw_seed is not None:
            record = lottery.draw(draw_seed)
    return Robustness(problem, uncertainty, exact, sampled, the_plan, record, tuple(notes))
