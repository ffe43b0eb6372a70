"""Other portfolios worth considering: the k best, every tied optimum, diverse alternatives.

All three enumerate portfolios with *no-good cuts* on the selection indicators (which
applications are funded): after a portfolio funding the set ``S`` is found, the row

    sum_{j in S} y_j - sum_{j not in S} y_j <= |S| - 1

excludes exactly that selection, and the next solve finds the best remaining one. Two
portfolios are therefore distinct when they fund different sets of applications. With
partial funding each selection appears once, with its best grants (the solver maximises the
value within it); portfolios that differ only in the amounts granted to the same
applications are not listed separately. The call's rules hold throughout (the cuts are added
to ``build(problem)``'s model).

``diverse`` asks instead that each new portfolio differ from every earlier one in at least
``d`` applications (Hamming distance on the selection, ``sum_{j not in S} y_j -
sum_{j in S} y_j >= d - |S|``) and stay within ``x`` % of the optimum; among those it takes
the most valuable, greedily.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, field_serializer

from allocator.exceptions import AllocatorError, InfeasibleError
from allocator.model.problem import Problem
from allocator.optimize.engine import Engine, Outcome
from allocator.optimize.linear import INF

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Alternatives", "Portfolio", "all_optima", "diverse", "k_best"]


class Portfolio(BaseModel):
    """One portfolio: its value, its distance from the optimum and its grants."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    rank: int
    value: float
    value_exact: Fraction
    gap: float
    gap_pct: float | None
    granted: int
    funded: tuple[str, ...]
    grants: dict[str, int]

    @field_serializer("value_exact")
    def _fraction(self, v: Fraction) -> str:
        return str(v)

    @property
    def n_funded(self) -> int:
        """Number of funded applications."""
        return len(self.funded)


class Alternatives(BaseModel):
    """Portfolios found by :func:`k_best`, :func:`all_optima` or :func:`diverse`.

    ``complete`` is True when the enumeration ran out of portfolios (rather than reaching
    the number asked for). Iterating yields the portfolios (``for p in k_best(problem)``);
    ``len()`` and ``[k]`` work as on a tuple.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    kind: str
    optimum: float
    optimum_exact: Fraction
    complete: bool
    portfolios: tuple[Portfolio, ...]

    @field_serializer("optimum_exact")
    def _fraction(self, v: Fraction) -> str:
        return str(v)

    def __len__(self) -> int:
        return len(self.portfolios)

    def __iter__(self) -> Iterator[Portfolio]:  # type: ignore[override]  # the portfolios, not pydantic's fields
        """The portfolios, best first: ``for portfolio in k_best(problem)``."""
        return iter(self.portfolios)

    def __getitem__(self, k: int) -> Portfolio:
        return self.portfolios[k]

    def to_frame(self) -> pd.DataFrame:
        """One row per portfolio: ``rank``, ``value``, ``gap``, ``gap_pct``, ``granted``,
        ``n_funded``, ``funded``, and ``added`` / ``removed`` relative to the first."""
        import pandas as pd

        first = set(self.portfolios[0].funded) if self.portfolios else set()
        rows = [
            {
                "rank": p.rank,
                "value": p.value,
                "gap": p.gap,
                "gap_pct": p.gap_pct,
                "granted": p.granted,
                "n_funded": p.n_funded,
                "funded": "; ".join(p.funded),
                "added": "; ".join(i for i in p.funded if i not in first),
                "removed": "; ".join(i for i in self.portfolios[0].funded if i not in set(p.funded)),
            }
            for p in self.portfolios
        ]
        return pd.DataFrame(
            rows, columns=["rank", "value", "gap", "gap_pct", "granted", "n_funded", "funded", "added", "removed"]
        )

    def grants_frame(self) -> pd.DataFrame:
        """Grants per application (rows, input order) and portfolio (columns ``1``, ``2``, ...)."""
        import pandas as pd

        if not self.portfolios:
            return pd.DataFrame()
        ids = list(self.portfolios[0].grants)
        return pd.DataFrame(
            {str(p.rank): [p.grants[i] for i in ids] for p in self.portfolios}, index=pd.Index(ids, name="id")
        )

    def __str__(self) -> str:
        lines = [
            f"{self.kind}: {len(self)} portfolio(s), optimum {self.optimum:.4f}{'' if self.complete else ' (more exist)'}"
        ]
        for p in self.portfolios:
            lines.append(f"  {p.rank:>3}  value {p.value:.4f}  gap {p.gap:.4f}  {p.granted:,}  {', '.join(p.funded)}")
        return "\n".join(lines)

    __repr__ = __str__


def _portfolio(w: Engine, o: Outcome, rank: int, opt: Fraction) -> Portfolio:
    ids = w.problem.ids
    return Portfolio(
        rank=rank,
        value=float(o.value),
        value_exact=o.value,
        gap=float(opt - o.value),
        gap_pct=float((opt - o.value) / opt * 100) if opt > 0 else None,
        granted=o.total,
        funded=tuple(ids[j] for j in np.flatnonzero(o.funded)),
        grants={i: int(g) for i, g in zip(ids, o.grants.tolist(), strict=True)},
    )


def _cut(w: Engine, o: Outcome) -> None:
    """Exclude the selection of ``o`` from every later solve."""
    sel = w.f.select
    s = o.funded
    coefs = np.where(s, 1.0, -1.0)
    w.add_row(sel, coefs, -INF, float(s.sum()) - 1.0)


def _distance_row(w: Engine, o: Outcome, d: int) -> None:
    """Require a Hamming distance of at least ``d`` from the selection of ``o``."""
    s = o.funded
    w.add_row(w.f.select, np.where(s, -1.0, 1.0), float(d) - float(s.sum()), INF)


def _count(value: object, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise AllocatorError(f"{what} {value!r} must be a whole number of at least {minimum}")
    return int(value)


def _start(problem: Problem, time_limit: float | None) -> tuple[Engine, Outcome]:
    w = Engine.of(problem, time_limit=time_limit, method="mip")
    first = w.best()
    if first is None:
        raise InfeasibleError("no portfolio satisfies every rule; see solve(problem) for a diagnosis")
    return w, first


def k_best(problem: Problem, k: int = 10, *, time_limit: float | None = None) -> Alternatives:
    """The ``k`` best portfolios by value, each funding a different set of applications.

    Ties are listed in the order the solver finds them. Fewer than ``k`` are returned when
    fewer exist (``complete`` is then True).

    Examples
    --------
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> k_best(p, 3).to_frame()[["rank", "value", "funded"]]
       rank  value funded
    0     1    1.1   B; C
    1     2    0.9      A
    2     3    0.6      B
    """
    k = _count(k, "k")
    w, o = _start(problem, time_limit)
    opt = o.value
    found, complete = _next_best(w, o, k, opt)
    return Alternatives(
        kind="k best", optimum=float(opt), optimum_exact=opt, complete=complete, portfolios=tuple(found)
    )


def _next_best(w: Engine, o: Outcome, limit: int, opt: Fraction) -> tuple[list[Portfolio], bool]:
    """Portfolios from ``o`` on, each the best not yet found (no-good cuts), up to ``limit``;
    and whether the enumeration ran out before the limit (all found)."""
    found: list[Portfolio] = []
    while True:
        found.append(_portfolio(w, o, len(found) + 1, opt))
        if len(found) == limit:
            return found, False
        _cut(w, o)
        nxt = w.best()
        if nxt is None:
            return found, True
        o = nxt


def all_optima(problem: Problem, limit: int = 100, *, time_limit: float | None = None) -> Alternatives:
    """Every portfolio tied at the optimal value (distinct selections), up to ``limit``.

    ``complete`` says whether all were found. Equality is exact when the objective is
    integer-scaled (the usual case), otherwise within 1e-9 relative.
    """
    limit = _count(limit, "limit")
    w, o = _start(problem, time_limit)
    opt = o.value
    with w.value_at_least(opt):
        found, complete = _next_best(w, o, limit, opt)
    return Alternatives(
        kind="all optima", optimum=float(opt), optimum_exact=opt, complete=complete, portfolios=tuple(found)
    )


def diverse(
    problem: Problem,
    n: int = 5,
    *,
    min_difference: int = 2,
    within: float = 5.0,
    time_limit: float | None = None,
) -> Alternatives:
    """Up to ``n`` portfolios, the optimum first, each differing from every earlier one in
    at least ``min_difference`` applications and worth at least ``100 - within`` % of the
    optimum (``within=5.0``: within 5 %). Each is the most valuable such portfolio.

    Examples
    --------
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> [q.funded for q in diverse(p, 3, min_difference=3, within=20).portfolios]
    [('B', 'C'), ('A',)]
    """
    n = _count(n, "n")
    d = _count(min_difference, "min_difference")
    if isinstance(within, bool) or not isinstance(within, (int, float)) or not 0 <= within <= 100:
        raise AllocatorError(f"within {within!r} must be a percentage between 0 and 100 (5 means 5 %)")
    w, o = _start(problem, time_limit)
    opt = o.value
    floor_value = opt * (1 - Fraction(str(within)) / 100)
    found: list[Portfolio] = []
    complete = False
    with w.value_at_least(floor_value):
        while True:
            found.append(_portfolio(w, o, len(found) + 1, opt))
            if len(found) == n:
                break
            _distance_row(w, o, d)
            nxt = w.best()
            if nxt is None:
                complete = True
                break
            o = nxt
    return Alternatives(
        kind=f"diverse (>= {d} apart, within {within:g} %)",
        optimum=float(opt),
        optimum_exact=opt,
        complete=complete,
        portfolios=tuple(found),
    )
