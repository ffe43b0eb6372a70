"""Exact robustness: the non-dominated portfolios and each application's class.

A feasible portfolio (every rule of the call and the frame respected) is **non-dominated**
when no other feasible portfolio is at least as good for every admissible weight vector and
score and better for one (:mod:`allocator.robust.dominance`). An application's **core
index** is the share of the non-dominated portfolios that fund it; its **class** is

* ``core``: funded in every non-dominated portfolio (core index 1);
* ``exterior``: funded in none (core index 0);
* ``borderline``: funded in some.

Two ways to get there:

* :func:`nondominated` lists the whole set (up to ``limit`` portfolios; beyond it a
  :class:`TooManyPortfolios` error advises sampling). Calls with at most
  :data:`~allocator.robust._enumerate.BRUTE_MAX` applications left to decide are enumerated
  outright; larger ones are listed by integer programs in decreasing central value, each
  new portfolio checked against those found, with dominance cuts
  (:mod:`allocator.robust._search`) proving that nothing is left.
* :func:`classify` decides each class **without listing the set**: an application is
  exterior when every feasible portfolio funding it is dominated, core when every one
  leaving it out is. The best portfolios at the extreme weights are the first witnesses;
  then one search settles all applications no witness leaves out (core or borderline),
  and one more all those no witness funds (exterior or borderline). Each search
  alternates an integer program for a candidate (a feasible portfolio satisfying every
  cut so far and leaving out, or funding, at least one application still open) and one
  for a portfolio dominating it with the fewest changes: a non-dominated candidate is a
  witness, a dominated one gives a cut, and an infeasible candidate program is the proof
  for every application still open. Cuts hold for every non-dominated portfolio, and
  proven classes are fixed for the rest of the search. With a ``time_limit``, applications
  still open are reported ``undecided``: a class is never guessed.

Both need all-or-nothing funding. Eligibility thresholds apply to the scores as given.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from allocator.exceptions import AllocatorError, InfeasibleError, SolverError
from allocator.robust._corners import corners as best_at_corners
from allocator.robust._enumerate import BRUTE_MAX, feasible_portfolios, nondominated_of
from allocator.robust._model import ExactModel, MipRow, load
from allocator.robust._search import Search
from allocator.robust.dominance import Values, values
from allocator.robust.polytope import WeightPolytope
from allocator.robust.uncertainty import Uncertainty

if TYPE_CHECKING:
    from allocator.model import Problem

log = logging.getLogger("allocator.robust")

__all__ = ["CLASSES", "DEFAULT_LIMIT", "ExactResult", "TooManyPortfolios", "classify", "enumerable", "nondominated"]

DEFAULT_LIMIT = 5000
"""Most non-dominated portfolios :func:`nondominated` lists."""

CLASSES = ("core", "borderline", "exterior", "undecided")


class TooManyPortfolios(AllocatorError):
    """The non-dominated set is larger than the limit."""


@dataclass(frozen=True)
class ExactResult:
    """What the exact analysis found (applications in input order).

    Attributes
    ----------
    ids
        Application ids.
    classes
        ``core``, ``borderline``, ``exterior`` or ``undecided`` (time limit).
    core_index
        Share of non-dominated portfolios funding each application (full set only).
    portfolios
        The non-dominated portfolios, boolean ``(count, n)``, by decreasing central value;
        None when the set was not listed.
    witnesses
        Per application, a non-dominated portfolio funding it (``True``) and one leaving it
        out (``False``), where found.
    corners
        The best portfolio (midpoint scores, ties by central value) at each extreme weight
        point, then at the centroid: ``(weights, portfolio)``.
    fixed
        Applications decided by the rules alone (ineligible, forbidden, locked), with the reason.
    method, seconds, mips
        How it was computed (``enumeration``, ``integer programs``, ``search``), in how long.
    """

    ids: tuple[str, ...]
    classes: tuple[str, ...]
    core_index: np.ndarray | None
    portfolios: np.ndarray | None
    witnesses: dict[tuple[int, bool], np.ndarray]
    corners: tuple[tuple[tuple[Fraction, ...], np.ndarray], ...]
    fixed: dict[int, str]
    values: Values
    method: str
    seconds: float
    mips: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Whether the whole non-dominated set was listed."""
        return self.portfolios is not None

    def funded_at(self, i: int) -> list[tuple[Fraction, ...]]:
        """The extreme weight points (and centroid) at whose best portfolio application ``i`` is funded."""
        return [w for w, p in self.corners if p[i]]


# ----------------------------------------------------------------------------- helpers
def _prepare(problem: Problem, uncertainty: Uncertainty) -> tuple[ExactModel, Values]:
    uncertainty.check(problem)
    model = load(problem)
    P = WeightPolytope.of([c.name for c in problem.criteria], uncertainty.weights)
    return model, values(problem, uncertainty, P)


def _fixed(model: ExactModel) -> dict[int, str]:
    out = {}
    for i in range(model.n):
        if model.hi[i] == 0:
            out[i] = model.why_fixed.get(i, "a rule forbids funding it")
        elif model.lo[i] == 1:
            out[i] = "a rule requires funding it"
    return out


def _from_set(model: ExactModel, v: Values, X: np.ndarray, method: str, t0: float, mips: int) -> ExactResult:
    if len(X) == 0:
        raise InfeasibleError(
            "no portfolio satisfies every rule of the call and the frame; see allocator.diagnose(problem)"
        )
    ci = X.mean(axis=0)
    classes = tuple("core" if c == 1 else "exterior" if c == 0 else "borderline" for c in ci)
    wit: dict[tuple[int, bool], np.ndarray] = {}
    for i in range(model.n):
        for funded in (True, False):
            hit = np.flatnonzero(X[:, i] == funded)
            if len(hit):
                wit[(i, funded)] = X[hit[0]]
    return ExactResult(
        model.ids,
        classes,
        ci,
        X,
        wit,
        best_at_corners(model, v, X, None),
        _fixed(model),
        v,
        method,
        time.perf_counter() - t0,
        mips,
    )


# ----------------------------------------------------------------------------- the set
def enumerable(problem: Problem) -> bool:
    """Whether every portfolio of ``problem`` (all-or-nothing) can be enumerated outright."""
    return int(load(problem).free.sum()) <= BRUTE_MAX


def nondominated(
    problem: Problem, uncertainty: Uncertainty, *, limit: int = DEFAULT_LIMIT, time_limit: float | None = None
) -> ExactResult:
    """Every non-dominated portfolio, with core indices and classes (see the module docstring).

    Raises :class:`TooManyPortfolios` when there are more than ``limit`` and
    :class:`~allocator.exceptions.SolverError` when ``time_limit`` (seconds) runs out.

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> from allocator.robust import Uncertainty
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 8}),
    ...                   Application(id="B", requested=50, scores={"g": 5}),
    ...                   Application(id="C", requested=40, scores={"g": 4})])
    >>> r = nondominated(p, Uncertainty.of(plus_minus=2))
    >>> r.classes, r.core_index.tolist()
    (('borderline', 'borderline', 'core'), [0.5, 0.5, 1.0])
    >>> r = nondominated(p, Uncertainty.of(plus_minus=0))
    >>> r.classes
    ('core', 'exterior', 'core')
    """
    t0 = time.perf_counter()
    model, v = _prepare(problem, uncertainty)
    if int(model.free.sum()) <= BRUTE_MAX:
        X = nondominated_of(model, v, feasible_portfolios(model), limit=limit)
        if X is None:
            raise _too_many(limit)
        return _from_set(model, v, X, "enumeration", t0, 0)
    search = Search(model, v)
    X = _listed(search, limit, None if time_limit is None else t0 + time_limit)
    return _from_set(model, v, X, "integer programs", t0, search.mips)


def _too_many(limit: int) -> TooManyPortfolios:
    return TooManyPortfolios(
        f"more than {limit} non-dominated portfolios; decide the classes with allocator.robust.classify (exact, "
        "without listing them), estimate each application's share by sampling with allocator.robust.acceptability, "
        "or raise the limit"
    )


def _listed(search: Search, limit: int, deadline: float | None) -> np.ndarray:
    """Non-dominated portfolios by integer programs in decreasing central value."""
    found: list[np.ndarray] = []
    search.local_cuts(max_conditions=1)
    while True:
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            raise SolverError(
                f"the time limit ran out after {len(found)} non-dominated portfolios; give more time or sample"
            )
        x = search.candidate(exclude=found, time_limit=left)
        if x is None:
            return np.array(found).reshape(len(found), search.model.n)
        q = search.known_dominator(x)
        if q is None:  # the largest central value left, and nothing found dominates it: non-dominated
            found.append(x)
            search.add_witness(x)
            if len(found) > limit:
                raise _too_many(limit)
            continue
        search.refute(x, q)


# ----------------------------------------------------------------------------- classes
def classify(
    problem: Problem,
    uncertainty: Uncertainty,
    *,
    time_limit: float | None = None,
    limit: int = DEFAULT_LIMIT,
) -> ExactResult:
    """Each application's class, exactly, without listing the non-dominated set.

    Small calls (at most :data:`~allocator.robust._enumerate.BRUTE_MAX` applications to
    decide) are enumerated, which gives the set and the core indices too (when the set has
    at most ``limit`` portfolios). Otherwise the search of the module docstring runs; with
    ``time_limit`` (seconds), applications still open when it runs out are ``undecided``.
    """
    t0 = time.perf_counter()
    model, v = _prepare(problem, uncertainty)
    if int(model.free.sum()) <= BRUTE_MAX and limit > 0:
        X = nondominated_of(model, v, feasible_portfolios(model), limit=limit)
        if X is not None:
            return _from_set(model, v, X, "enumeration", t0, 0)
    deadline = None if time_limit is None else t0 + time_limit
    search = Search(model, v)
    corners = best_at_corners(model, v, None, search)
    for _, p in corners:
        search.add_witness(p)
    search.local_cuts(max_conditions=0)  # the swaps no rule can stop: two-term cuts
    n = model.n
    free = np.flatnonzero(model.free).tolist()
    proven: dict[int, str] = {}
    notes: list[str] = []
    # Two searches, taking turns: one for the applications no witness leaves out (core or
    # borderline), one for those no witness funds (exterior or borderline).
    open_sides = [False, True]
    while open_sides and (deadline is None or time.perf_counter() < deadline):
        for funded in list(open_sides):
            group = [i for i in free if i not in proven and not _known(search, i, funded)]
            outcome = _step(search, group, funded, deadline, log, t0)
            if outcome == "proven":
                for i in group:
                    if not _known(search, i, funded):
                        proven[i] = "exterior" if funded else "core"
                        search.settled[i] = int(not funded)
            if outcome in ("proven", "empty"):
                open_sides.remove(funded)
    for funded in open_sides:
        open_ = [model.ids[i] for i in free if i not in proven and not _known(search, i, funded)]
        notes.append(
            f"time limit before deciding whether non-dominated portfolios {'fund' if funded else 'leave out'} "
            f"{len(open_)} applications ({', '.join(open_[:5])}{' ...' if len(open_) > 5 else ''})"
        )
    classes = []
    wit: dict[tuple[int, bool], np.ndarray] = {}
    for i in range(n):
        if model.hi[i] == 0:
            classes.append("exterior")
            continue
        if model.lo[i] == 1:
            classes.append("core")
            continue
        for f in (True, False):
            w = _witness(search, i, f)
            if w is not None:
                wit[(i, f)] = w
        if i in proven:
            classes.append(proven[i])
        elif (i, True) in wit and (i, False) in wit:
            classes.append("borderline")
        else:
            classes.append("undecided")
    return ExactResult(
        model.ids,
        tuple(classes),
        None,
        None,
        wit,
        corners,
        _fixed(model),
        v,
        "search",
        time.perf_counter() - t0,
        search.mips,
        tuple(notes),
    )


def _step(
    search: Search, group: list[int], funded: bool, deadline: float | None, logger: logging.Logger, t0: float
) -> str:
    """One step of the search for a non-dominated portfolio funding (or leaving out) an
    application of ``group``: ``"empty"`` (nothing open), ``"proven"`` (none exists for any),
    ``"witness"``, ``"cut"`` or ``"time"``.

    The candidate must fund (leave out) at least one application of the group; a
    non-dominated one is a witness for all it funds (leaves out), a dominated one gives a
    cut, and no candidate at all proves the whole group.
    """
    logger.debug(
        "%s: %d open (%d cuts, %d programs, %.1f s)",
        "funded somewhere" if funded else "left out somewhere",
        len(group),
        len(search.cuts),
        search.mips,
        time.perf_counter() - t0,
    )
    if not group:
        return "empty"
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        return "time"
    cols = np.array(group, dtype=np.int64)
    # funded: sum_group x >= 1; left out: sum_group (1 - x) >= 1
    row = (
        MipRow(cols, np.ones(len(cols)), 1.0, math.inf)
        if funded
        else MipRow(cols, np.ones(len(cols)), -math.inf, len(cols) - 1.0)
    )
    try:
        x = search.candidate(rows_in_apps=[row], rel_gap=0.5, time_limit=left)
        if x is None:
            return "proven"
        y = search.dominator(x, time_limit=None if deadline is None else max(0.05, deadline - time.perf_counter()))
    except SolverError:
        if deadline is not None and time.perf_counter() >= deadline - 0.05:
            return "time"
        raise
    if y is None:
        search.add_witness(x)
        return "witness"
    search.refute(x, y)
    return "cut"


def _witness(search: Search, i: int, funded: bool) -> np.ndarray | None:
    for w in search.witnesses:
        if bool(w[i]) == funded:
            return w
    return None


def _known(search: Search, i: int, funded: bool) -> bool:
    return _witness(search, i, funded) is not None
