"""An independent reference for robustness: random calls with rules, and brute force.

Nothing here imports allocator's formulation, rules machinery (selectors, rows, checker),
dominance or robustness code: the rules are built as allocator rule objects for the code
under test, and their meaning is re-implemented below from their documentation:

* ``GroupLimit(category=c, max_amount=A)``: the funded applications of category ``c``
  receive at most ``A`` kroner; ``min_count=k``: at least ``k`` of them are funded;
* ``Exclusive(ids=[a, b])``: at most one of ``a``, ``b`` funded;
* ``Requires(ids=[a], requires=[b])``: ``a`` funded only if ``b`` is;
* ``MustFund(ids=[a])`` / ``MustNotFund(ids=[a])``: ``a`` funded / not funded;
* ``FundedCount(max=k)``: at most ``k`` applications funded;
* a criterion threshold ``t``: an application scoring below it is never funded;
* the frame: the requests of the funded applications add up to at most the frame.

Values, from the definition of Robust Portfolio Modeling (Liesiö, Mild and Salo 2007;
Liesiö 2008): weights range over the polytope ``W`` of admissible shares, normalised scores
``v_ic = x_ic / max_c`` over the box of their intervals. ``q`` dominates ``p`` when
``V(q) - V(p) >= 0`` for every (w, v) and ``> 0`` for some. ``V(q) - V(p)`` is linear in
``w`` for fixed ``v``, so its extremes over ``W`` are at the vertices of ``W``; for a fixed
vertex it is a sum over the applications in one portfolio only, each linear in its own
scores, so its minimum (maximum) takes each such application's score at the end of its
interval that is worst (best) for ``q``. The vertices used here are the textbook ones:
without information the unit vectors; for a complete rank order ``c_1 >= ... >= c_m`` the
points with ``1/k`` on the first ``k`` criteria.

:func:`score_corners_dominates` checks the same relation by evaluating every corner of
the score box of the changed applications, with no such reasoning (for tiny cases).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from allocator import Application, Criterion, Problem
from allocator.rules import (
    Exclusive,
    FundedCount,
    GroupLimit,
    MustFund,
    MustNotFund,
    Requires,
)

__all__ = ["Case", "dominates", "feasible_sets", "make_case", "nondominated_sets", "score_corners_dominates"]

CATS = ("klynge", "nettverk", "annet")


@dataclass
class Case:
    """A random call, the uncertainty in plain numbers, and the rules in plain data."""

    problem: Problem
    order: tuple[str, ...] | None  # complete rank order, or None (no weight information)
    plus_minus: float
    given: dict[str, dict[str, tuple[float, float]]]
    caps: list[tuple[str, int]]
    mins: list[tuple[str, int]]
    exclusive: list[tuple[str, str]]
    requires: list[tuple[str, str]]
    must: list[str]
    must_not: list[str]
    max_count: int | None
    thresholds: dict[str, float]


def make_case(seed: int, *, max_n: int = 12, rules: bool = True) -> Case:
    """A random call with up to ``max_n`` applications and some rules of every kind."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, max_n + 1))
    m = int(rng.integers(1, 4))
    names = ["green", "smart", "innovation"][:m]
    thresholds = {}
    if rules and rng.random() < 0.3:
        thresholds[names[-1]] = 2.0
    crits = [Criterion(name=c, weight=1.0, scale_min=1, scale_max=7, threshold=thresholds.get(c)) for c in names]
    half = rng.random() < 0.5
    apps = []
    for i in range(n):
        scores = {c: float(rng.integers(1, 8)) - (0.5 if half and rng.random() < 0.3 else 0.0) for c in names}
        scores = {c: max(1.0, s) for c, s in scores.items()}
        apps.append(
            Application(
                id=f"A-{i + 1}",
                requested=int(rng.integers(1, 11)) * 10_000,
                category=str(rng.choice(CATS)),
                scores=scores,
            )
        )
    total = sum(a.requested for a in apps)
    frame = max(10_000, int(total * rng.uniform(0.3, 0.7)) // 10_000 * 10_000)
    ids = [a.id for a in apps]
    caps, mins, exclusive, requires, must, must_not = [], [], [], [], [], []
    max_count = None
    rule_objs = []
    if rules:
        if rng.random() < 0.5:
            c = str(rng.choice(sorted({a.category for a in apps})))
            cap = int(rng.integers(2, 15)) * 10_000
            caps.append((c, cap))
            rule_objs.append(GroupLimit(category=c, max_amount=cap))
        if rng.random() < 0.3:
            c = str(rng.choice([a.category for a in apps]))
            mins.append((c, 1))
            rule_objs.append(GroupLimit(category=c, min_count=1))
        if rng.random() < 0.4 and n >= 2:
            a, b = rng.choice(ids, size=2, replace=False)
            exclusive.append((str(a), str(b)))
            rule_objs.append(Exclusive(ids=[str(a), str(b)]))
        if rng.random() < 0.4 and n >= 2:
            a, b = rng.choice(ids, size=2, replace=False)
            requires.append((str(a), str(b)))
            rule_objs.append(Requires(ids=[str(a)], requires=[str(b)]))
        if rng.random() < 0.15:
            a = str(rng.choice(ids))
            must.append(a)
            rule_objs.append(MustFund(ids=[a]))
        if rng.random() < 0.15:
            a = str(rng.choice(ids))
            if a not in must:
                must_not.append(a)
                rule_objs.append(MustNotFund(ids=[a]))
        if rng.random() < 0.3:
            max_count = int(rng.integers(1, n + 1))
            rule_objs.append(FundedCount(max=max_count))
    problem = Problem(frame=frame, criteria=crits, applications=apps, rules=rule_objs)
    order = tuple(rng.permutation(names).tolist()) if rng.random() < 0.6 else None
    plus_minus = float(rng.choice([0.0, 0.25, 0.5, 1.0]))
    given: dict[str, dict[str, tuple[float, float]]] = {}
    if rng.random() < 0.3:
        a = apps[int(rng.integers(n))]
        c = names[0]
        lo = max(1.0, a.scores[c] - 1.5)
        given[a.id] = {c: (lo, min(7.0, a.scores[c] + 0.5))}
    return Case(
        problem, order, plus_minus, given, caps, mins, exclusive, requires, must, must_not, max_count, thresholds
    )


def _frac(x: float) -> Fraction:
    return Fraction(str(x))


def feasible_sets(case: Case) -> list[frozenset[str]]:
    """Every portfolio meeting the frame and every rule, by brute force."""
    p = case.problem
    apps = {a.id: a for a in p.applications}
    ids = list(apps)
    out = []
    for bits in itertools.product((0, 1), repeat=len(ids)):
        s = frozenset(i for i, b in zip(ids, bits, strict=True) if b)
        if sum(apps[i].requested for i in s) > p.frame:
            continue
        if any(apps[i].scores[c] < t for i in s for c, t in case.thresholds.items()):
            continue
        if any(sum(apps[i].requested for i in s if apps[i].category == c) > cap for c, cap in case.caps):
            continue
        if any(sum(1 for i in s if apps[i].category == c) < k for c, k in case.mins):
            continue
        if any(a in s and b in s for a, b in case.exclusive):
            continue
        if any(a in s and b not in s for a, b in case.requires):
            continue
        if any(a not in s for a in case.must) or any(a in s for a in case.must_not):
            continue
        if case.max_count is not None and len(s) > case.max_count:
            continue
        out.append(s)
    return out


def vertices(case: Case) -> list[dict[str, Fraction]]:
    names = [c.name for c in case.problem.criteria]
    if case.order is None:
        return [{c: Fraction(int(c == d)) for c in names} for d in names]
    return [
        {c: (Fraction(1, k) if case.order.index(c) < k else Fraction(0)) for c in names}
        for k in range(1, len(names) + 1)
    ]


def intervals(case: Case) -> dict[str, dict[str, tuple[Fraction, Fraction]]]:
    """Normalised score interval of every application and criterion."""
    out = {}
    for a in case.problem.applications:
        out[a.id] = {}
        for c in case.problem.criteria:
            if a.id in case.given and c.name in case.given[a.id]:
                lo, hi = (_frac(v) for v in case.given[a.id][c.name])
            else:
                x, d = _frac(a.scores[c.name]), _frac(case.plus_minus)
                lo, hi = max(x - d, Fraction(1)), min(x + d, Fraction(7))
            out[a.id][c.name] = (lo / 7, hi / 7)
    return out


def dominates(
    case: Case,
    q: frozenset[str],
    p: frozenset[str],
    V: list[dict[str, Fraction]] | None = None,
    iv: dict[str, dict[str, tuple[Fraction, Fraction]]] | None = None,
) -> bool:
    """Whether ``q`` dominates ``p`` (see the module docstring)."""
    V = V or vertices(case)
    iv = iv or intervals(case)
    gain, loss = q - p, p - q
    some_better = False
    for w in V:
        worst = sum((w[c] * iv[i][c][0] for i in gain for c in w), Fraction(0)) - sum(
            (w[c] * iv[i][c][1] for i in loss for c in w), Fraction(0)
        )
        if worst < 0:
            return False
        best = sum((w[c] * iv[i][c][1] for i in gain for c in w), Fraction(0)) - sum(
            (w[c] * iv[i][c][0] for i in loss for c in w), Fraction(0)
        )
        some_better = some_better or best > 0
    return some_better


def score_corners_dominates(case: Case, q: frozenset[str], p: frozenset[str]) -> bool:
    """The same relation by evaluating every corner of the changed applications' score box."""
    V = vertices(case)
    iv = intervals(case)
    changed = sorted(q ^ p)
    keys = [(i, c) for i in changed for c in iv[i]]
    lowest, highest = None, None
    for corner in itertools.product((0, 1), repeat=len(keys)):
        v = {k: iv[k[0]][k[1]][b] for k, b in zip(keys, corner, strict=True)}
        for w in V:
            d = sum((w[c] * v[(i, c)] for (i, c) in keys if i in q), Fraction(0)) - sum(
                (w[c] * v[(i, c)] for (i, c) in keys if i in p), Fraction(0)
            )
            lowest = d if lowest is None else min(lowest, d)
            highest = d if highest is None else max(highest, d)
    if lowest is None or highest is None:
        return False
    return lowest >= 0 and highest > 0


def nondominated_sets(case: Case, feasible: list[frozenset[str]] | None = None) -> list[frozenset[str]]:
    """The non-dominated portfolios among the feasible ones (every pair compared).

    Every score is at least 1 on a 1-7 scale, so every application adds a positive value in
    every case: a portfolio inside a larger feasible one is dominated by it, and only the
    maximal ones need comparing.
    """
    F = feasible if feasible is not None else feasible_sets(case)
    index = {a.id: k for k, a in enumerate(case.problem.applications)}
    codes = np.array([sum(1 << index[i] for i in s) for s in F], dtype=np.int64)
    F = [s for s, c in zip(F, codes, strict=True) if not (((codes & c) == c) & (codes != c)).any()]
    V, iv = vertices(case), intervals(case)
    ids = [a.id for a in case.problem.applications]
    # vectorised over q for each p: low/high value per vertex and application, as fractions of one denominator
    den = 1
    for i in ids:
        for c in iv[i]:
            for x in iv[i][c]:
                den = den * x.denominator // np.gcd(den, x.denominator)
    for w in V:
        for x in w.values():
            den = den * x.denominator // np.gcd(den, x.denominator)
    lo = np.array(
        [[int(sum((w[c] * iv[i][c][0] for c in w), Fraction(0)) * den * den) for i in ids] for w in V], dtype=object
    )
    hi = np.array(
        [[int(sum((w[c] * iv[i][c][1] for c in w), Fraction(0)) * den * den) for i in ids] for w in V], dtype=object
    )
    X = np.array([[i in s for i in ids] for s in F], dtype=bool).reshape(len(F), len(ids))
    kind = np.int64 if max([int(abs(v)) for v in (*lo.ravel(), *hi.ravel())] + [0]) * len(ids) < 2**62 else object
    lo, hi = lo.astype(kind), hi.astype(kind)
    out = []
    for k, s in enumerate(F):
        x = X[k]
        gain = (X & ~x).astype(kind)
        loss = (~X & x).astype(kind)
        worst = gain @ lo.T - loss @ hi.T  # (M, K)
        best = gain @ hi.T - loss @ lo.T
        dom = (worst >= 0).all(axis=1) & (best > 0).any(axis=1)
        if not dom.any():
            out.append(s)
    return out
