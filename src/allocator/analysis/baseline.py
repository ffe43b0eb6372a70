"""Today's practice, for comparison: rank by score and fund down the list.

:func:`rank_and_fund` ranks the eligible applications by weighted score (highest first;
ties: cheaper first, then id) and funds each one, in full, that still fits in what is left
of the frame. When the call has rules, it does what a careful adviser does with the
spreadsheet: the applications the rules lock in are funded first, and going down the list
an application is skipped when funding it would break a rule or break it further (a cap,
co-financing, de minimis, an exclusion, a dependency on an application not yet funded);
with partial funding it gets the largest possible grant that breaks nothing; the list is
gone down again while a skipped application has become possible (B once the A it depends
on is funded). Floors ("at
least one network") cannot be met by going down a list: those it still misses at the end
are reported in the solution's message. :func:`compare` sets an optimal solution beside it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from allocator.exceptions import InputError
from allocator.model.guards import expect, expect_problem
from allocator.model.ids import id_order, natural_key
from allocator.model.levels import levels
from allocator.model.problem import Problem
from allocator.model.rules import MustFund
from allocator.model.scoring import score
from allocator.model.selectors import rule_where, select
from allocator.model.solution import Decision, Reason, Solution
from allocator.rules.check import Checker
from allocator.status import Status
from allocator.words import money, ranks

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Comparison", "compare", "rank_and_fund"]


def rank_and_fund(problem: Problem, *, rules: bool = True) -> Solution:
    """The portfolio of ranking by weighted score and funding down the list.

    Parameters
    ----------
    problem
        The call.
    rules
        Respect the call's rules as described in the module docstring (default); ``False``
        funds down the list on the frame alone, as a plain spreadsheet does.

    Examples
    --------
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> rank_and_fund(p).funded_ids
    ['A']
    """
    expect_problem(problem, "rank_and_fund")
    t0 = time.perf_counter()
    s = score(problem)
    apps = problem.applications
    eligible = [i for i in range(len(apps)) if s.eligible[i]]
    # the exact scores, as integers over one denominator where the scoring gives them (the
    # same order as the fractions, without hashing 10 000 fractions), ranked once (few
    # distinct values when panels score in whole numbers), then the list sorted on integers
    exact: list[Any] = s.numerators.tolist() if s.numerators is not None else list(s.exact)
    place = {v: k for k, v in enumerate(sorted({exact[i] for i in eligible}, reverse=True))}
    by_id = np.empty(len(apps), dtype=np.int64)
    by_id[id_order([a.id for a in apps])] = np.arange(len(apps))  # each application's place in the id order
    el = np.array(eligible, dtype=np.int64)
    keys = (
        by_id[el],
        np.array([apps[i].requested for i in eligible], dtype=np.int64),
        np.array([place[exact[i]] for i in eligible], dtype=np.int64),
    )
    order = el[np.lexsort(keys)].tolist() if eligible else []  # score, then the smaller request, then the id
    stopped: dict[int, list[str]] = {}
    if rules and problem.rules:
        granted, broken, stopped = _down_the_list_with_rules(problem, order)
    else:
        granted, broken = _down_the_list(problem, order), []
    rank = ranks(exact)  # the one rank numbering: ties share the better rank
    decisions = []
    for i, a in enumerate(apps):
        g = int(granted[i])
        if g == a.requested:
            reason, note = Reason.FUNDED, f"funded: rank {rank[i]}, and it fitted in what was left"
        elif g:
            reason, note = (
                Reason.FUNDED_PARTIALLY,
                f"funded in part: rank {rank[i]}, the largest grant that fitted and broke no rule",
            )
        elif not s.eligible[i]:
            reason, note = Reason.INELIGIBLE, f"ineligible: {s.reasons[i]}"
        elif i in stopped:
            names = ", ".join(repr(r) for r in stopped[i])
            reason, note = (
                Reason.BLOCKED_BY_RULE,
                f"rank {rank[i]}: it fitted in what was left, but funding it would break {names}",
            )
        else:
            reason, note = Reason.OUTRANKED, f"rank {rank[i]}: no longer fitted in what was left"
        decisions.append(
            Decision.of(
                a,
                granted=g,
                score=float(s.weighted[i]),
                rank=rank[i],
                eligible=bool(s.eligible[i]),
                reason=reason,
                note=note,
                binding_rules=tuple(stopped.get(i, ())) if not g else (),
            )
        )
    total = int(granted.sum())
    message = "rank by weighted score, fund down the list"
    if broken:
        message += "; rules still broken at the end of the list: " + "; ".join(broken)
    return Solution(
        status=Status.FEASIBLE,
        message=message,
        problem_name=problem.name,
        currency=problem.currency,
        objective=float(sum(d.value for d in decisions)),
        frame=problem.frame,
        total_granted=total,
        frame_left=problem.frame - total,
        n_funded=int((granted > 0).sum()),
        solver="rank-and-fund",
        runtime_s=time.perf_counter() - t0,
        decisions=tuple(decisions),
    )


def _down_the_list(problem: Problem, order: list[int]) -> np.ndarray:
    """Fund each application in ``order`` in full while it fits in the frame."""
    apps = problem.applications
    left = problem.frame
    granted = np.zeros(len(apps), dtype=np.int64)
    for i in order:
        if apps[i].requested <= left:
            granted[i] = apps[i].requested
            left -= apps[i].requested
    return granted


def _down_the_list_with_rules(problem: Problem, order: list[int]) -> tuple[np.ndarray, list[str], dict[int, list[str]]]:
    """Go down the list, skipping grants that would break a rule or break it further.

    Returns the grants, the rules still broken at the end, and for each application left
    out although a grant fitted in what was left when its turn came, the rules
    (``"label [part]"``) that funding it would have broken."""

    apps = problem.applications
    checker = Checker(problem)
    grant = [0] * len(apps)

    def broken(g: list[int]) -> dict[tuple[str, str], float]:
        return {(v.rule, v.part): v.excess for v in checker.violations(g)}

    stopped: dict[int, list[str]] = {}

    fixed: dict[int, int | None] = {}
    for k, rule in enumerate(problem.rules):
        if isinstance(rule, MustFund):
            fixed.update((i, rule.amount) for i in select(rule, problem, where=rule_where(rule, k)))
    now = broken(grant)
    # the rules' locks first, as an adviser would; then down the list, and down it again
    # while a skipped application has become possible (B after the A it depends on)
    queue = [*fixed, *(i for i in order if i not in fixed)]
    changed = True
    while changed:
        changed = False
        for i in queue:
            if grant[i] == 0:
                ok, stopped_by = _fund_largest(problem, i, grant, fixed, broken, now)
                if ok:
                    now = broken(grant)
                    changed = True
                    stopped.pop(i, None)
                elif stopped_by:
                    stopped.setdefault(i, stopped_by)  # its turn on the list: a rule stopped it
    return np.array(grant, dtype=np.int64), list(dict.fromkeys(rule for rule, _ in now)), stopped


def _fund_largest(
    problem: Problem, i: int, grant: list[int], fixed: dict[int, int | None], broken: Any, now: dict[Any, float]
) -> tuple[bool, list[str]]:
    """Give application ``i`` the largest grant that fits and breaks no rule further (a lock's
    own amount first, when the lock fixes one). Returns whether it was funded, and else the
    rules (``"label [part]"``) that stopped a grant that fitted in what was left."""

    apps = problem.applications
    left = problem.frame - sum(grant)
    amounts: list[int] = (
        levels(apps[i], problem.options).amounts()[::-1] if problem.options.partial else [apps[i].requested]
    )
    locked_at = fixed.get(i)
    if locked_at is not None:
        amounts = [locked_at, *(a for a in amounts if a != locked_at)]
    stopped_by: list[str] = []
    for amount in amounts:
        if amount > left:
            continue
        grant[i] = amount
        # the checker reports a rule exactly when it is broken, so a new key is a rule broken;
        # an old one is broken further when its excess grew
        worse = [key for key, excess in broken(grant).items() if key not in now or excess > now[key]]
        if not worse:
            return True, []
        stopped_by.extend(f"{rule} [{part}]" if part else rule for rule, part in worse if rule != "frame")
        grant[i] = 0
    return False, list(dict.fromkeys(stopped_by))


class Comparison(BaseModel):
    """An optimal portfolio beside the rank-and-fund portfolio."""

    model_config = ConfigDict(frozen=True)

    optimal_value: float
    baseline_value: float
    improvement: float
    improvement_pct: float | None
    optimal_granted: int
    baseline_granted: int
    only_optimal: tuple[str, ...]
    only_baseline: tuple[str, ...]
    different_amount: tuple[str, ...]

    def __str__(self) -> str:
        pct = f" ({self.improvement_pct:+.1f} %)" if self.improvement_pct is not None else ""
        lines = [
            f"optimal portfolio value      {self.optimal_value:10.4f}  ({money(self.optimal_granted)} granted)",
            f"rank-and-fund portfolio value {self.baseline_value:9.4f}  ({money(self.baseline_granted)} granted)",
            f"gain over rank-and-fund      {self.improvement:+10.4f}{pct}",
        ]
        if self.only_optimal:
            lines.append(f"funded only by the optimum:   {', '.join(self.only_optimal)}")
        if self.only_baseline:
            lines.append(f"funded only by rank-and-fund: {', '.join(self.only_baseline)}")
        if self.different_amount:
            lines.append(f"funded at another amount:     {', '.join(self.different_amount)}")
        return "\n".join(lines)

    def to_frame(self, optimal: Solution, baseline: Solution) -> pd.DataFrame:
        """Side-by-side grants per application."""
        import pandas as pd

        return pd.DataFrame(
            {
                "id": [d.id for d in optimal.decisions],
                "score": [d.score for d in optimal.decisions],
                "requested": [d.requested for d in optimal.decisions],
                "granted_optimal": [d.granted for d in optimal.decisions],
                "granted_rank_and_fund": [baseline.grants[d.id] for d in optimal.decisions],
            }
        )


def compare(optimal: Solution, baseline: Solution) -> Comparison:
    """Compare two solutions of the same problem (typically ``solve`` vs ``rank_and_fund``).

    A solution without a portfolio (infeasible, failed) funds nothing. Raises
    :class:`~allocator.exceptions.InputError` when both decide applications and not the
    same ones (solutions of two calls)."""
    for arg in (optimal, baseline):
        expect(
            arg,
            Solution,
            "compare",
            "two allocator.Solution objects",
            "give the results of allocator.solve and allocator.rank_and_fund",
        )
    a, b = optimal.grants, baseline.grants
    if a and b and a.keys() != b.keys():  # a solution without a portfolio (infeasible) funds nothing
        first = ", ".join(sorted(a.keys() - b.keys(), key=natural_key)) or "none"
        second = ", ".join(sorted(b.keys() - a.keys(), key=natural_key)) or "none"
        raise InputError(
            f"compare: the two solutions decide different applications (only in the first: {first}; "
            f"only in the second: {second}); give two solutions of the same call"
        )
    va, vb = optimal.objective or 0.0, baseline.objective or 0.0
    return Comparison(
        optimal_value=va,
        baseline_value=vb,
        improvement=va - vb,
        improvement_pct=(va - vb) / vb * 100 if vb > 0 else None,
        optimal_granted=optimal.total_granted,
        baseline_granted=baseline.total_granted,
        only_optimal=tuple(i for i in a if a[i] > 0 and b.get(i, 0) == 0),
        only_baseline=tuple(i for i in b if b[i] > 0 and a.get(i, 0) == 0),
        different_amount=tuple(i for i in a if a[i] > 0 and b.get(i, 0) > 0 and a[i] != b[i]),
    )
