"""Why no portfolio satisfies the rules: an irreducible set of conflicting rules, in words.

:func:`diagnose` treats the frame and the eligibility thresholds as rules like the call's
own, and proceeds in three steps (Chinneck's elastic and deletion filters):

1. *Elastic filter.* Every rule gets slack variables (how far each of its rows may be
   violated). Minimise the total violation; the rules that must be violated are made
   hard; repeat until the hard rules alone admit no portfolio.
2. *Deletion filter.* Drop each hard rule in turn; if the others still admit no
   portfolio it is not needed, else it is put back. What remains is irreducible: the rules
   conflict, and dropping any one of them resolves this conflict.
3. *Minimal violations.* For each rule of the set, the least it would have to give way
   (in kroner or applications) for the others to hold, and whether that alone makes every
   rule of the call hold, put in words.

Examples
--------
>>> from allocator import Problem, Criterion, Application
>>> from allocator.model.rules import GroupLimit
>>> p = Problem(frame=300_000, criteria=[Criterion(name="g", weight=1)], applications=[
...     Application(id="C1", requested=200_000, category="cluster", scores={"g": 1}),
...     Application(id="C2", requested=100_000, category="cluster", scores={"g": 1}),
...     Application(id="N1", requested=180_000, category="network", scores={"g": 1})],
...     rules=[GroupLimit(category="cluster", min_amount=300_000, label="clusters get 300 000"),
...            GroupLimit(category="network", min_count=1, label="at least one network")])
>>> d = diagnose(p)
>>> sorted(d.conflicting)
['at least one network', 'clusters get 300 000', 'frame']
>>> print(d.violations[1].message)
the floor 'at least one network' is 1 application short: it needs 180 000 kr more than the frame leaves after 'clusters get 300 000'
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from allocator.model.problem import Problem
from allocator.model.solution import RuleRef
from allocator.optimize.elastic import TOL, Elastic
from allocator.rules.rows import ELIGIBILITY, FRAME
from allocator.status import Status

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Diagnosis", "RuleViolation", "diagnose"]


def _kr(v: float) -> str:
    return f"{round(v):,}".replace(",", " ") + " kr"


def _n(v: float, unit: str) -> str:
    if unit == "kr":
        return _kr(v)
    k = round(v)
    return f"{k} application{'s' if k != 1 else ''}"


class RuleViolation(BaseModel):
    """How far one conflicting rule would have to give way.

    Attributes
    ----------
    rule, kind
        The rule's label and kind (``frame`` and ``eligibility`` for the call's own).
    parts
        The parts of the rule that give way (themes, applications, years).
    violation, unit
        The least violation (kroner or applications) that lets the other rules hold.
    resolves_all
        Whether loosening this rule alone by ``violation`` makes every rule of the call hold
        (False when another conflict remains).
    message
        The change in words.
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    kind: str
    parts: tuple[str, ...] = ()
    violation: float
    unit: str
    resolves_all: bool
    message: str


class Diagnosis(BaseModel):
    """The rules in conflict when no portfolio satisfies them all.

    Attributes
    ----------
    feasible
        True when the rules can all hold (nothing to diagnose).
    conflicting
        Labels of an irreducible set of conflicting rules (``"frame"`` and
        ``"eligibility"`` included when they take part).
    violations
        Per conflicting rule, the least it would have to give way, in words.
    summary
        One paragraph for a person.
    irreducible
        False when a solver time limit prevented proving the set irreducible.
    """

    model_config = ConfigDict(frozen=True)

    feasible: bool = False
    conflicting: tuple[str, ...] = ()
    violations: tuple[RuleViolation, ...] = ()
    summary: str = ""
    irreducible: bool = True
    solves: int = 0
    runtime_s: float = 0.0

    @property
    def rule_refs(self) -> tuple[RuleRef, ...]:
        """The conflicting rules as data (label and part), one per part that gives way."""
        return tuple(RuleRef(label=v.rule, part=part) for v in self.violations for part in (v.parts or ("",)))

    def to_frame(self) -> pd.DataFrame:
        """One row per conflicting rule: rule, kind, parts, violation, unit, resolves_all, message."""
        import pandas as pd

        cols = list(RuleViolation.model_fields)
        df = pd.DataFrame([v.model_dump() for v in self.violations], columns=cols)
        if len(df):
            df["parts"] = ["; ".join(p) for p in df["parts"]]
        return df

    def __str__(self) -> str:
        return self.summary

    __repr__ = __str__


def diagnose(problem: Problem, *, time_limit: float | None = 60.0, threads: int | None = 1) -> Diagnosis:
    """An irreducible set of conflicting rules of ``problem``, and how far each must give way.

    Parameters
    ----------
    problem
        A problem whose rules admit no portfolio (a feasible one gives ``feasible=True``).
    time_limit
        Seconds for all the solves together; when it runs out the set found so far is
        returned with ``irreducible=False``.
    threads
        HiGHS threads.
    """
    t0 = time.perf_counter()
    deadline = t0 + (time_limit if time_limit is not None else 1e9)
    e = Elastic(problem, threads)
    groups = list(e.groups)
    # 1. elastic filter
    for g in groups:
        e.set_mode(g, "elastic")
    first = True
    while True:
        status, x = e.minimise(deadline)
        if status is Status.INFEASIBLE or x is None:
            break
        positive = [g for g in groups if e.mode[g] == "elastic" and e.violation(g, x)[0] > TOL]
        if not positive:
            if first:
                return Diagnosis(
                    feasible=True,
                    summary="every rule can hold: the problem has a feasible portfolio",
                    solves=e.solves,
                    runtime_s=time.perf_counter() - t0,
                )
            break  # pragma: no cover - cannot happen: positive slack exists while infeasible
        first = False
        for g in positive:
            e.set_mode(g, "hard")
    hard = [g for g in groups if e.mode[g] == "hard"]
    # 2. deletion filter: the call's rules last-first, then eligibility, the frame last
    for g in groups:
        if g not in hard:
            e.set_mode(g, "off")
    order = [g for g in reversed(hard) if g not in (FRAME, ELIGIBILITY)] + [
        g for g in (ELIGIBILITY, FRAME) if g in hard
    ]
    iis = list(hard)
    for g in order:
        e.set_mode(g, "off")
        status, _ = e.minimise(deadline)
        if status is Status.INFEASIBLE:
            iis.remove(g)
        else:
            e.set_mode(g, "hard")
    iis = [g for g in groups if g in iis]
    # 3. the least violation of each, first within the conflict, then against every rule
    found: dict[str, tuple[float, list[tuple[int, int, float]], bool]] = {}
    for g in iis:
        for h in groups:
            e.set_mode(h, "hard" if h in iis else "off")
        e.set_mode(g, "elastic")
        status, x = e.minimise(deadline)
        local = e.violation(g, x) if status is Status.OPTIMAL and x is not None else (float("nan"), [])
        for h in groups:
            if h not in iis:
                e.set_mode(h, "hard")
        status, x = e.minimise(deadline)
        if status is Status.OPTIMAL and x is not None:
            found[g] = (*e.violation(g, x), True)
        else:
            found[g] = (*local, False)
    if not iis:  # pragma: no cover - an infeasible model always has a conflicting rule
        return Diagnosis(
            summary="no portfolio satisfies every rule, and no conflicting set of rules was found",
            irreducible=False,
            solves=e.solves,
            runtime_s=time.perf_counter() - t0,
        )
    violations = [_words(e, g, found, iis) for g in iis]
    violations.sort(key=lambda v: (v.rule in (FRAME, ELIGIBILITY), iis.index(v.rule)))
    conflicting = tuple(v.rule for v in violations)
    shown = [repr(c) if c not in (FRAME, ELIGIBILITY) else f"the {c}" for c in conflicting]
    names = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    verb = "conflict" if len(shown) > 1 else "cannot hold"
    summary = (
        f"{names} {verb}"
        + (
            " on its own"
            if len(shown) == 1 and not e.timed_out
            else " (an irreducible set: loosen any one of them and the others can hold)"
            if not e.timed_out
            else " (the time limit ran out before this set was proven irreducible)"
        )
        + ". Smallest change to each: "
        + "; ".join(v.message for v in violations)
        + "."
    )
    return Diagnosis(
        conflicting=conflicting,
        violations=tuple(violations),
        summary=summary,
        irreducible=not e.timed_out,
        solves=e.solves,
        runtime_s=time.perf_counter() - t0,
    )


def _words(e: Elastic, g: str, found: dict[str, Any], iis: list[str]) -> RuleViolation:
    """The least violation of rule ``g`` as a RuleViolation with a sentence."""
    amount, parts, resolves = found[g]
    p = e.problem
    kind = e.kind[g]
    rows = [e.info[r] for r, _, _ in parts]
    unit = rows[0].unit if rows else (e.info[e.groups[g][0]].unit)
    part_names = tuple(dict.fromkeys(row.part for row in rows if row.part))
    where = f" [{', '.join(part_names)}]" if part_names else ""
    others = [h for h in iis if h not in (g, FRAME, ELIGIBILITY)]
    after = f" after {', '.join(repr(h) for h in others)}" if others else ""
    tail = "" if resolves else " (another conflict remains)"
    if math.isnan(amount):  # no solve finished in time
        msg = f"{g!r} takes part in the conflict (the time limit ran out before its least violation was found)"
        return RuleViolation(
            rule=g, kind=kind, parts=part_names, violation=float("nan"), unit=unit, resolves_all=False, message=msg
        )
    over = sum(v for _, s, v in parts if s > 0)
    under = sum(v for _, s, v in parts if s < 0)
    if g == FRAME:
        msg = f"the frame is {_kr(amount)} short: it would have to be {_kr(p.frame + amount)} instead of {_kr(p.frame)}"
    elif g == ELIGIBILITY:
        ids = ", ".join(repr(row.part) for row in rows)
        msg = f"ineligible application {ids} would have to be funded for the other rules to hold"
    elif kind == "must_fund":
        if unit == "kr":
            msg = f"the lock {g!r}{where} would have to change its amount by {_kr(amount)}"
        else:
            msg = f"the lock {g!r}{where} would have to be dropped: the other rules leave no room to fund it"
    elif kind == "must_not_fund":
        msg = f"the lock {g!r}{where} would have to be dropped: the other rules need it funded"
    elif kind == "requires":
        msg = f"the dependency {g!r}{where} would have to be dropped"
    elif under > 0 and over <= 0:  # a floor
        frame_delta = found.get(FRAME, (0.0,))[0] if FRAME in iis else 0.0
        single = len(rows) == 1 and np.isfinite(rows[0].lower)
        lo = rows[0].lower / rows[0].scale if single else None
        if unit == "applications":
            msg = f"the floor {g!r}{where} is {_n(under, unit)} short"
        else:
            msg = f"the floor {g!r}{where} would have to come down by {_kr(under)}" + (
                f" ({_kr(lo - under)} instead of {_kr(lo)})" if lo is not None else ""
            )
        if frame_delta and not math.isnan(frame_delta):
            msg += f": it needs {_kr(frame_delta)} more than the frame leaves{after}"
    else:  # a cap
        single = len(rows) == 1 and np.isfinite(rows[0].upper)
        hi = rows[0].upper / rows[0].scale if single else None
        noun = "the cap" if kind in ("group", "count", "exclusive", "max_grant", "pots", "multi_year") else "the rule"
        if unit == "applications":
            msg = f"{noun} {g!r}{where} would have to allow {_n(amount, unit)} more" + (
                f" (at most {round(hi + amount)} instead of {round(hi)})" if hi is not None else ""
            )
        else:
            msg = f"{noun} {g!r}{where} would have to allow {_kr(amount)} more" + (
                f" ({_kr(hi + amount)} instead of {_kr(hi)})" if hi is not None else ""
            )
    return RuleViolation(
        rule=g, kind=kind, parts=part_names, violation=amount, unit=unit, resolves_all=resolves, message=msg + tail
    )
