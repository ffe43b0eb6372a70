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
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from allocator.model.problem import Problem
from allocator.model.validate import rule_labels
from allocator.optimize.backends import make_backend
from allocator.optimize.formulation import app_columns, build, to_columns
from allocator.optimize.linear import LinearModel
from allocator.rules.rows import ELIGIBILITY, FRAME, RuleRow, rule_rows
from allocator.status import Status

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Diagnosis", "RuleViolation", "diagnose"]

_TOL = 1e-6


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


class _Elastic:
    """The problem's model with every rule's rows elastic, switchable rule by rule."""

    def __init__(self, problem: Problem, threads: int | None) -> None:

        self.problem = problem
        f = build(problem.model_copy(update={"rules": ()}))
        self.f = f
        m = f.model
        col_lo, col_hi = m.col_lower.copy(), m.col_upper.copy()
        rows: list[tuple[np.ndarray, np.ndarray, float, float]] = [
            (*m.row(r), float(m.row_lower[r]), float(m.row_upper[r])) for r in range(m.n_rows)
        ]
        # group -> list of (row index, RuleRow or None); the frame and eligibility are groups too
        self.groups: dict[str, list[int]] = {FRAME: [f.frame_row]}
        self.info: dict[int, RuleRow] = {}
        self.kind: dict[str, str] = {FRAME: "frame"}
        ineligible = np.flatnonzero(~f.scores.eligible).tolist()
        for i in ineligible:  # restore the columns' bounds; eligibility becomes rows y_i <= 0
            for j in np.flatnonzero(f.col_app == i).tolist():
                col_hi[j] = float(f.levels[i].K) if m.col_names[j].startswith("k_") else 1.0
            r = len(rows)
            rows.append((np.array([f.select[i]]), np.array([1.0]), -np.inf, 0.0))
            self.groups.setdefault(ELIGIBILITY, []).append(r)
            self.info[r] = RuleRow(-2, ELIGIBILITY, problem.applications[i].id, "eligibility",
                                   np.array([i]), np.zeros(1), np.ones(1), -np.inf, 0.0, "applications")
        if ineligible:
            self.kind[ELIGIBILITY] = "eligibility"
        self.labels = rule_labels(problem.rules)
        per_app = app_columns(f)
        # every row, also those the formulation leaves out as redundant: a row can be
        # redundant only because ineligible applications are fixed at 0, and eligibility is
        # itself a rule the filters below may switch off
        for row in rule_rows(problem, keep_redundant=True):
            cols, vals = to_columns(row, f, per_app)
            # a row whose floor exceeds its cap (a rule at odds with itself) becomes two rows
            halves = [row] if row.lower <= row.upper else [
                replace(row, lower=-np.inf), replace(row, upper=np.inf)]
            for half in halves:
                r = len(rows)
                rows.append((cols, vals, half.lower, half.upper))
                self.groups.setdefault(row.label, []).append(r)
                self.info[r] = half
            self.kind[row.label] = row.kind
        self.bounds = {r: (rows[r][2], rows[r][3]) for rs in self.groups.values() for r in rs}
        self.info[f.frame_row] = RuleRow(-1, FRAME, "", "frame", np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
                                         -np.inf, float(problem.frame), "kr")
        # slack columns: s_up (row - s_up <= hi) and s_lo (row + s_lo >= lo)
        n0 = m.n_cols
        self.slack: dict[int, list[tuple[int, int]]] = {}  # row -> [(col, sign)] sign +1: over the cap
        extra = 0
        idx_l: list[np.ndarray] = []
        val_l: list[np.ndarray] = []
        start = [0]
        for r, (cols, vals, lo, hi) in enumerate(rows):
            c, v = list(cols.tolist()), list(vals.tolist())
            if r in self.bounds:
                if np.isfinite(hi):
                    c.append(n0 + extra)
                    v.append(-1.0)
                    self.slack.setdefault(r, []).append((n0 + extra, 1))
                    extra += 1
                if np.isfinite(lo):
                    c.append(n0 + extra)
                    v.append(1.0)
                    self.slack.setdefault(r, []).append((n0 + extra, -1))
                    extra += 1
            idx_l.append(np.asarray(c, dtype=np.int64))
            val_l.append(np.asarray(v, dtype=float))
            start.append(start[-1] + len(c))
        n = n0 + extra
        model = LinearModel(
            objective=np.zeros(n),
            col_lower=np.concatenate([col_lo, np.zeros(extra)]),
            col_upper=np.concatenate([col_hi, np.zeros(extra)]),
            integer=np.concatenate([m.integer, np.zeros(extra, dtype=bool)]),
            col_names=(*m.col_names, *(f"s_{k:04d}" for k in range(extra))),
            start=np.asarray(start, dtype=np.int64),
            index=np.concatenate(idx_l) if idx_l else np.zeros(0, np.int64),
            value=np.concatenate(val_l) if val_l else np.zeros(0),
            row_lower=np.array([r[2] for r in rows], dtype=float),
            row_upper=np.array([r[3] for r in rows], dtype=float),
            row_names=tuple(f"r_{k:05d}" for k in range(len(rows))),
        )
        self.n = n
        self.backend = make_backend(model, threads=threads)
        self.mode = {g: "hard" for g in self.groups}
        self.solves = 0
        self.timed_out = False

    def set_mode(self, g: str, mode: str) -> None:
        """``hard``: the rule holds; ``elastic``: it may be violated; ``off``: it is dropped."""
        self.mode[g] = mode
        for r in self.groups[g]:
            lo, hi = self.bounds[r] if mode != "off" else (-np.inf, np.inf)
            self.backend.set_row_bounds(r, lo, hi)
            cols = [c for c, _ in self.slack.get(r, [])]
            if cols:
                ub = np.full(len(cols), np.inf if mode == "elastic" else 0.0)
                self.backend.set_col_bounds(np.array(cols), np.zeros(len(cols)), ub)

    def weight(self, r: int) -> float:
        row = self.info[r]
        return (1.0 if row.unit == "applications" else 1e-3) / row.scale

    def minimise(self, deadline: float) -> tuple[Status, np.ndarray | None]:
        """Minimise the weighted slack of the elastic rules (0 objective if none is elastic)."""
        c = np.zeros(self.n)
        for g, mode in self.mode.items():
            if mode == "elastic":
                for r in self.groups[g]:
                    for col, _ in self.slack.get(r, []):
                        c[col] = self.weight(r)
        self.backend.set_objective(c, maximize=False)
        left = max(0.01, deadline - time.perf_counter())
        res = self.backend.solve(time_limit=left, rel_gap=0.0, abs_gap=1e-9, start=None)
        self.solves += 1
        if res.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            self.timed_out = True
        return res.status, res.x

    def violation(self, g: str, x: np.ndarray) -> tuple[float, list[tuple[int, int, float]]]:
        """Total violation of group ``g`` in its unit, and (row, sign, amount) per violated row."""
        total = 0.0
        parts = []
        for r in self.groups[g]:
            for col, sign in self.slack.get(r, []):
                v = float(x[col]) / self.info[r].scale
                if v > _TOL:
                    total += v
                    parts.append((r, sign, v))
        return total, parts


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
    e = _Elastic(problem, threads)
    groups = list(e.groups)
    # 1. elastic filter
    for g in groups:
        e.set_mode(g, "elastic")
    first = True
    while True:
        status, x = e.minimise(deadline)
        if status is Status.INFEASIBLE or x is None:
            break
        positive = [g for g in groups if e.mode[g] == "elastic" and e.violation(g, x)[0] > _TOL]
        if not positive:
            if first:
                return Diagnosis(feasible=True, summary="every rule can hold: the problem has a feasible portfolio",
                                 solves=e.solves, runtime_s=time.perf_counter() - t0)
            break  # pragma: no cover - cannot happen: positive slack exists while infeasible
        first = False
        for g in positive:
            e.set_mode(g, "hard")
    hard = [g for g in groups if e.mode[g] == "hard"]
    # 2. deletion filter: the call's rules last-first, then eligibility, the frame last
    for g in groups:
        if g not in hard:
            e.set_mode(g, "off")
    order = [g for g in reversed(hard) if g not in (FRAME, ELIGIBILITY)] + [g for g in (ELIGIBILITY, FRAME) if g in hard]
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
        return Diagnosis(summary="no portfolio satisfies every rule, and no conflicting set of rules was found",
                         irreducible=False, solves=e.solves, runtime_s=time.perf_counter() - t0)
    violations = [_words(e, g, found, iis) for g in iis]
    violations.sort(key=lambda v: (v.rule in (FRAME, ELIGIBILITY), iis.index(v.rule)))
    conflicting = tuple(v.rule for v in violations)
    shown = [repr(c) if c not in (FRAME, ELIGIBILITY) else f"the {c}" for c in conflicting]
    names = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    verb = "conflict" if len(shown) > 1 else "cannot hold"
    summary = (
        f"{names} {verb}"
        + (" on its own" if len(shown) == 1 and not e.timed_out else
           " (an irreducible set: loosen any one of them and the others can hold)" if not e.timed_out else
           " (the time limit ran out before this set was proven irreducible)")
        + ". Smallest change to each: " + "; ".join(v.message for v in violations) + "."
    )
    return Diagnosis(
        conflicting=conflicting,
        violations=tuple(violations),
        summary=summary,
        irreducible=not e.timed_out,
        solves=e.solves,
        runtime_s=time.perf_counter() - t0,
    )


def _words(e: _Elastic, g: str, found: dict[str, Any], iis: list[str]) -> RuleViolation:
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
        return RuleViolation(rule=g, kind=kind, parts=part_names, violation=float("nan"), unit=unit, resolves_all=False, message=msg)
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
                f" ({_kr(lo - under)} instead of {_kr(lo)})" if lo is not None else "")
        if frame_delta and not math.isnan(frame_delta):
            msg += f": it needs {_kr(frame_delta)} more than the frame leaves{after}"
    else:  # a cap
        single = len(rows) == 1 and np.isfinite(rows[0].upper)
        hi = rows[0].upper / rows[0].scale if single else None
        noun = "the cap" if kind in ("group", "count", "exclusive", "max_grant", "pots", "multi_year") else "the rule"
        if unit == "applications":
            msg = f"{noun} {g!r}{where} would have to allow {_n(amount, unit)} more" + (
                f" (at most {round(hi + amount)} instead of {round(hi)})" if hi is not None else "")
        else:
            msg = f"{noun} {g!r}{where} would have to allow {_kr(amount)} more" + (
                f" ({_kr(hi + amount)} instead of {_kr(hi)})" if hi is not None else "")
    return RuleViolation(rule=g, kind=kind, parts=part_names, violation=amount, unit=unit, resolves_all=resolves, message=msg + tail)
