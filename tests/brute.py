"""An independent brute-force solver: the reference the integer program is tested against.

Nothing here uses :mod:`allocator.optimize.formulation`, :mod:`allocator.model.scoring`,
:mod:`allocator.optimize.solve` or any other code of the library: only its model classes, to read
the problem. The rules are re-derived from the documentation:

* the value of funding application *i* in full is ``s_i = sum_c w_c * n_c(score_ic)``, with
  ``n_c(x) = x / scale_max`` (``normalisation="max"``) or
  ``(x - scale_min) / (scale_max - scale_min)`` (``"range"``); weights and scores are the
  decimals the user typed, taken exactly (``Fraction(str(x))``);
* a portfolio is worth ``sum_i s_i * g_i / r_i`` (grant ``g_i``, request ``r_i``);
* grants are 0 or the request (binary), or with partial funding 0, ``m, m + t, ..., m + tK``
  (``K = (r - m) // t``) or the request ``r``; ``m`` is the application's minimum, else
  ``ceil(min_share * r)`` (at least 1), else ``min(step, r)``;
* an application scoring below a criterion's threshold, or whose weighted score is below
  ``Options.min_total_score``, is never funded;
* the total grant never exceeds the frame;
* ties are broken, in order: by the tie-break keys (``Options.tie_break``; by default
  ``green`` if the problem has that criterion, then ``-granted``): a criterion name prefers
  the higher total of its normalised score over the funded applications, weighted by the
  share granted, ``-name`` the lower; ``granted`` / ``-granted`` prefer the higher / lower
  total grant; then by id: prefer funding the smaller id, then the larger grant to the
  smaller id. Ids are ordered naturally (runs of the ASCII digits 0-9 compared as numbers:
  ``A-2`` before ``A-10``), and ids equal that way (``A-1``, ``A-01``) by their raw text
  (:func:`id_order_key`, coded here by hand).

Every portfolio is enumerated (depth first, pruned by the frame), so keep it small: up to
about 14 binary applications (16 384 portfolios) or a few partial ones with few levels.

Usage from any test module (``tests/`` is a package, so pytest puts the repository root on
``sys.path``)::

    from tests.brute import best_value, lexicographic_best, enumerate_portfolios

``feasible`` is an optional predicate ``feasible(grants: dict[id, int]) -> bool`` with
which other tests add their own rules (caps, locks, ...); it sees every portfolio that fits
the frame and funds no ineligible application.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, gcd

from allocator.model import Application, Criterion, Problem

__all__ = [
    "Best",
    "Feasible",
    "best_value",
    "enumerate_portfolios",
    "frac",
    "grant_levels",
    "id_order_key",
    "ineligibility",
    "lexicographic_best",
    "normalised",
    "optimal_portfolios",
    "portfolio_value",
    "rank_and_fund_grants",
    "tie_break_keys",
    "weighted_score",
]

Feasible = Callable[[dict[str, int]], bool]


def id_order_key(s: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """The documented id order, by hand: ASCII digit runs as numbers (before text), then the raw id.

    >>> sorted(["A-10", "A-2", "A-01", "A-1", "9", "²"], key=id_order_key)
    ['9', 'A-01', 'A-1', 'A-2', 'A-10', '²']
    """
    parts: list[tuple[int, int | str]] = []
    k = 0
    while k < len(s):
        j = k
        digits = s[k] in "0123456789"
        while j < len(s) and (s[j] in "0123456789") == digits:
            j += 1
        parts.append((0, int(s[k:j])) if digits else (1, s[k:j]))
        k = j
    return tuple(parts), s


def frac(x: float | int) -> Fraction:
    """The decimal as typed (0.4 -> 2/5), exactly."""
    if isinstance(x, int):
        return Fraction(x)
    return Fraction(str(x))


def normalised(problem: Problem, c: Criterion, raw: float) -> Fraction:
    """A raw score on the ratio scale of the documented normalisation."""
    if problem.options.normalisation == "range":
        return (frac(raw) - frac(c.scale_min)) / (frac(c.scale_max) - frac(c.scale_min))
    return frac(raw) / frac(c.scale_max)


def weighted_score(problem: Problem, app: Application) -> Fraction:
    """The value of funding ``app`` in full, exactly."""
    return sum((frac(c.weight) * normalised(problem, c, app.scores[c.name]) for c in problem.criteria), Fraction(0))


def ineligibility(problem: Problem, app: Application) -> list[str]:
    """The thresholds ``app`` misses: criterion names, and ``"total"`` for the weighted one."""
    out = [c.name for c in problem.criteria if c.threshold is not None and frac(app.scores[c.name]) < frac(c.threshold)]
    t = problem.options.min_total_score
    if t is not None and weighted_score(problem, app) < frac(t):
        out.append("total")
    return out


def grant_levels(problem: Problem, app: Application) -> list[int]:
    """Every grant ``app`` may receive, ascending, starting with 0."""
    r = app.requested
    opts = problem.options
    if not opts.partial:
        return [0, r]
    if app.minimum is not None:
        m = app.minimum
    elif opts.min_share is not None:
        m = max(1, ceil(frac(opts.min_share) * r))
    else:
        m = min(opts.step, r)
    out = {0, r}
    g = m
    while g <= r:
        out.add(g)
        g += opts.step
    return sorted(out)


def portfolio_value(problem: Problem, grants: dict[str, int] | tuple[int, ...] | list[int]) -> Fraction:
    """The exact value of a grant vector (a dict by id, or a sequence in input order)."""
    if isinstance(grants, dict):
        grants = [grants.get(a.id, 0) for a in problem.applications]
    return sum(
        (weighted_score(problem, a) * g / a.requested for a, g in zip(problem.applications, grants, strict=True)),
        Fraction(0),
    )


def tie_break_keys(problem: Problem) -> tuple[str, ...]:
    """The documented tie-break keys in force (before the final id rule)."""
    if problem.options.tie_break is not None:
        return tuple(problem.options.tie_break)
    names = {c.name for c in problem.criteria}
    return ("green", "-granted") if "green" in names else ("-granted",)


def enumerate_portfolios(problem: Problem, feasible: Feasible | None = None) -> Iterator[tuple[int, ...]]:
    """Every admissible grant vector (input order): within the frame, no ineligible funded.

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 9}),
    ...                   Application(id="B", requested=50, scores={"g": 6})])
    >>> sorted(enumerate_portfolios(p))
    [(0, 0), (0, 50), (60, 0)]
    """
    for g, _ in _walk(problem, feasible, None):
        yield g


def _walk(
    problem: Problem, feasible: Feasible | None, coefs: list[list[tuple[int, ...]]] | None
) -> Iterator[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Depth-first enumeration; ``coefs[i][l]`` (optional) is summed along for level ``l``."""
    apps = problem.applications
    choices = [[0] if ineligibility(problem, a) else grant_levels(problem, a) for a in apps]
    ids = [a.id for a in apps]
    n = len(apps)
    width = len(coefs[0][0]) if coefs else 0
    current = [0] * n

    def walk(k: int, left: int, acc: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], tuple[int, ...]]]:
        if k == n:
            g = tuple(current)
            if feasible is None or feasible(dict(zip(ids, g, strict=True))):
                yield g, acc
            return
        for lvl, amount in enumerate(choices[k]):
            if amount > left:
                break
            current[k] = amount
            nxt = acc
            if coefs is not None and amount:
                c = coefs[k][lvl]
                nxt = tuple(a + b for a, b in zip(acc, c, strict=True))
            yield from walk(k + 1, left - amount, nxt)
        current[k] = 0

    yield from walk(0, problem.frame, (0,) * width)


@dataclass(frozen=True)
class Best:
    """The lexicographic optimum: its grants by id, its exact value and its full key."""

    grants: dict[str, int]
    value: Fraction
    key: tuple[object, ...]

    @property
    def funded(self) -> list[str]:
        """Funded ids, in the order of ``grants`` (the input order)."""
        return [i for i, g in self.grants.items() if g > 0]


class _Scorer:
    """Exact coefficients, per application and grant level, of the value and each key.

    Each component (value, then each tie-break key with its sign) is scaled by its own
    common denominator, so that sums are integers and compare exactly and quickly.
    """

    def __init__(self, problem: Problem, *, keys: bool = True) -> None:
        self.problem = problem
        apps = problem.applications
        crit = {c.name: c for c in problem.criteria}
        per_app: list[list[Fraction]] = [[weighted_score(problem, a) for a in apps]]
        self.keys = tie_break_keys(problem) if keys else ()
        signs = [1]
        for key in self.keys:
            signs.append(-1 if key.startswith("-") else 1)
            name = key.lstrip("-")
            if name == "granted":
                per_app.append([Fraction(a.requested) for a in apps])  # share x request = grant
            else:
                per_app.append([normalised(problem, crit[name], a.scores[name]) for a in apps])
        self.denominators: list[int] = []
        rows: list[list[list[int]]] = []  # component -> app -> level -> scaled int
        for comp, sign in zip(per_app, signs, strict=True):
            exact = [[c * g / a.requested for g in grant_levels(problem, a)] for c, a in zip(comp, apps, strict=True)]
            d = 1
            for row in exact:
                for v in row:
                    d = d * v.denominator // gcd(d, v.denominator)
            self.denominators.append(d)
            rows.append([[sign * int(v * d) for v in row] for row in exact])
        self.coefs = [
            [tuple(rows[c][i][lvl] for c in range(len(rows))) for lvl in range(len(rows[0][i]))]
            for i in range(len(apps))
        ]
        self.id_order = sorted(range(len(apps)), key=lambda i: id_order_key(apps[i].id))

    def portfolios(self, feasible: Feasible | None) -> Iterator[tuple[tuple[int, ...], tuple[int, ...]]]:
        """(grants, integer key) for every admissible portfolio."""
        return _walk(self.problem, feasible, self.coefs)

    def value(self, acc: tuple[int, ...]) -> Fraction:
        """The exact value from an integer key."""
        return Fraction(acc[0], self.denominators[0])

    def id_key(self, g: tuple[int, ...]) -> tuple[tuple[bool, ...], tuple[int, ...]]:
        """Funded indicators, then grants, in id order (larger is preferred)."""
        return tuple(g[i] > 0 for i in self.id_order), tuple(g[i] for i in self.id_order)


def best_value(problem: Problem, feasible: Feasible | None = None) -> Fraction:
    """The largest exact value of any admissible portfolio (0 if only the empty one)."""
    s = _Scorer(problem, keys=False)
    return max((s.value(acc) for _, acc in s.portfolios(feasible)), default=Fraction(0))


def optimal_portfolios(problem: Problem, feasible: Feasible | None = None) -> list[dict[str, int]]:
    """Every portfolio of the best value (before any tie-break), as grants by id."""
    s = _Scorer(problem, keys=False)
    ids = [a.id for a in problem.applications]
    best: list[tuple[int, ...]] = []
    top: int | None = None
    for g, acc in s.portfolios(feasible):
        if top is None or acc[0] > top:
            top, best = acc[0], [g]
        elif acc[0] == top:
            best.append(g)
    return [dict(zip(ids, g, strict=True)) for g in best]


def lexicographic_best(problem: Problem, feasible: Feasible | None = None) -> Best | None:
    """The unique optimum under the documented tie-break, or None if nothing is admissible.

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="B", requested=50, scores={"g": 5}),
    ...                   Application(id="A", requested=50, scores={"g": 5})])
    >>> lexicographic_best(p.with_frame(60)).grants
    {'B': 0, 'A': 50}
    """
    s = _Scorer(problem)
    ids = [a.id for a in problem.applications]
    top: tuple[int, ...] | None = None
    tied: list[tuple[int, ...]] = []
    for g, acc in s.portfolios(feasible):
        if top is None or acc > top:
            top, tied = acc, [g]
        elif acc == top:
            tied.append(g)
    if top is None:
        return None
    g = max(tied, key=s.id_key)
    key = tuple(Fraction(v, d) for v, d in zip(top, s.denominators, strict=True)) + s.id_key(g)
    return Best(grants=dict(zip(ids, g, strict=True)), value=Fraction(top[0], s.denominators[0]), key=key)


def rank_and_fund_grants(problem: Problem) -> tuple[dict[str, int], list[str]]:
    """Today's practice without rules, by hand: the eligible applications ranked by exact
    weighted score (highest first; ties: cheaper first, then the id order), each funded in
    full while it fits in what is left of the frame. Returns the grants by id and the ranking.

    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A-10", requested=50, scores={"g": 5}),
    ...                   Application(id="A-2", requested=50, scores={"g": 5}),
    ...                   Application(id="B", requested=60, scores={"g": 9})])
    >>> rank_and_fund_grants(p)
    ({'A-10': 0, 'A-2': 0, 'B': 60}, ['B', 'A-2', 'A-10'])
    """
    eligible = [a for a in problem.applications if not ineligibility(problem, a)]
    ranked = sorted(eligible, key=lambda a: (-weighted_score(problem, a), a.requested, id_order_key(a.id)))
    left = problem.frame
    grants = {a.id: 0 for a in problem.applications}
    for a in ranked:
        if a.requested <= left:
            grants[a.id] = a.requested
            left -= a.requested
    return grants, [a.id for a in ranked]
