"""A verifiable draw among the borderline applications.

Core applications are funded, exterior ones are not, and the rest of the frame goes by lot
to the borderline ones, with every rule of the call and the frame respected.

**The method** (``priority-sha256-v1``), which anyone can re-run from the saved problem,
uncertainty and seed:

1. The **input hash** is the SHA-256 of the canonical JSON of the problem (applications in
   id order) and the uncertainty (:func:`input_hash`).
2. The **seed** is a public value fixed before the draw (dice rolled at the meeting, a
   published number), as text.
3. The borderline applications, in id order (``A-2`` before ``A-10``), get **tickets**
   from a SHA-256 counter-mode stream: the *k*-th gets the 256-bit number
   ``SHA-256("<input hash>:<seed>:<k>")`` (UTF-8, ``k`` in decimal from 0). In a shell:
   ``printf '%s' "$HASH:$SEED:0" | sha256sum``.
4. The **priority order** is by increasing ticket: a uniformly random order.
5. Going down the order, each borderline application is **funded if a portfolio satisfying
   every rule and the frame still exists** with the core, the applications funded so far
   and this one, and without the exterior and those passed over; otherwise it is passed over.

Why this method: it is short enough to check by hand; every borderline application has the
same chance to come first; it never breaks a rule or the frame (the final portfolio
satisfies every rule, because a completion exists at every step); and it keeps drawing
while money is left, so the frame is used as fully as the order allows. It does not use
Python's ``random`` (whose streams may change between versions): the same inputs and seed
give the same portfolio on any machine and Python version, whatever the row order.

**Before the draw**, :func:`plan_draw` publishes each borderline application's inclusion
probability: exactly (as fractions, over every order) when the borderline set is small
enough to follow every branch, otherwise estimated from simulated orders, with its standard
error. :func:`draw` makes the draw and returns a :class:`DrawRecord` (input hash, seed,
probabilities, tickets, order, result, version), JSON in and out; :func:`verify_draw`
repeats it.
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from allocator.exceptions import AllocatorError, InputError
from allocator.robust._model import ExactModel, MipRow, load, natural_key, solve_mip
from allocator.robust.exact import ExactResult, classify
from allocator.robust.uncertainty import Uncertainty

if TYPE_CHECKING:
    from allocator.model import Problem

__all__ = ["METHOD", "DrawPlan", "DrawRecord", "Lottery", "draw", "input_hash", "plan_draw", "tickets", "verify_draw"]

METHOD = "priority-sha256-v1"
MAX_STATES = 200_000
"""Most states followed for exact inclusion probabilities; beyond it they are estimated."""


def _version() -> str:
    from allocator._version import __version__

    return f"allocator {__version__}"


def input_hash(problem: Problem, uncertainty: Uncertainty) -> str:
    """SHA-256 (hex) of the canonical JSON of the problem (applications in id order) and uncertainty."""
    data = problem.model_dump(mode="json")
    data["applications"] = sorted(data["applications"], key=lambda a: natural_key(str(a["id"])))
    text = json.dumps(
        {"problem": data, "uncertainty": uncertainty.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tickets(digest: str, seed: str, count: int) -> list[int]:
    """The first ``count`` blocks of the counter-mode stream: ``SHA-256("<digest>:<seed>:<k>")``.

    >>> t = tickets("abc", "6 2 5", 2)
    >>> t[0] == int(hashlib.sha256(b"abc:6 2 5:0").hexdigest(), 16)
    True
    """
    return [int(hashlib.sha256(f"{digest}:{seed}:{k}".encode()).hexdigest(), 16) for k in range(count)]


class _Oracle:
    """Whether a feasible portfolio holds ``chosen`` and avoids ``refused`` (exact, cached)."""

    def __init__(self, model: ExactModel, core: list[int], exterior: list[int], border: list[int]) -> None:
        self.model = model
        self.core, self.exterior, self.border = core, exterior, border
        self.cache: dict[tuple[int, int], bool] = {}
        self.codes: np.ndarray | None = None
        from allocator.robust._enumerate import BRUTE_MAX, feasible_portfolios

        if int(model.free.sum()) <= BRUTE_MAX:
            X = feasible_portfolios(model)
            X = X[X[:, core].all(axis=1) & ~X[:, exterior].any(axis=1)] if len(X) else X
            bits = (X[:, border].astype(np.int64) << np.arange(len(border), dtype=np.int64)).sum(axis=1)
            self.codes = np.unique(bits)

    def __call__(self, chosen: int, refused: int) -> bool:
        key = (chosen, refused)
        if key not in self.cache:
            self.cache[key] = self._check(chosen, refused)
        return self.cache[key]

    def _check(self, chosen: int, refused: int) -> bool:
        if self.codes is not None:
            return bool((((self.codes & chosen) == chosen) & ((self.codes & refused) == 0)).any())
        M = self.model
        lo, hi = M.lo.astype(float).copy(), M.hi.astype(float).copy()
        lo[self.core] = 1
        hi[self.exterior] = 0
        for k, i in enumerate(self.border):
            if chosen >> k & 1:
                lo[i] = 1
            if refused >> k & 1:
                hi[i] = 0
        if (lo > hi).any():
            return False
        rows = [
            MipRow(np.flatnonzero(M.A[r]), M.A[r][M.A[r] != 0].astype(float), M.lower[r], M.upper[r])
            for r in range(len(M.A))
        ]
        x = solve_mip(M.n, np.zeros(M.n), rows, lo, hi, np.ones(M.n, dtype=bool), presolve=True)
        return x is not None


def _run(oracle: _Oracle, order: list[int]) -> int:
    """The draw along ``order`` (positions in the borderline list); the bits funded."""
    chosen = refused = 0
    for k in order:
        if oracle(chosen | 1 << k, refused):
            chosen |= 1 << k
        else:
            refused |= 1 << k
    return chosen


def _exact_probabilities(oracle: _Oracle, size: int) -> list[Fraction] | None:
    """Inclusion probability of each borderline application over every order, or None if too many states."""
    memo: dict[tuple[int, int], list[Fraction]] = {}

    def visit(chosen: int, refused: int) -> list[Fraction]:
        key = (chosen, refused)
        if key in memo:
            return memo[key]
        if len(memo) > MAX_STATES:
            raise OverflowError
        left = [k for k in range(size) if not ((chosen | refused) >> k) & 1]
        if not left:
            out = [Fraction(chosen >> k & 1) for k in range(size)]
        else:
            acc = [Fraction(0)] * size
            for k in left:
                nxt = (chosen | 1 << k, refused) if oracle(chosen | 1 << k, refused) else (chosen, refused | 1 << k)
                sub = visit(*nxt)
                acc = [a + s for a, s in zip(acc, sub, strict=True)]
            out = [a / len(left) for a in acc]
        memo[key] = out
        return out

    try:
        return visit(0, 0)
    except (OverflowError, RecursionError):
        return None


class DrawPlan(BaseModel):
    """What is published before the draw: the classes and each borderline application's chance."""

    model_config = ConfigDict(frozen=True)

    method: str = METHOD
    version: str = Field(default_factory=_version)
    input_hash: str
    core: tuple[str, ...]
    exterior: tuple[str, ...]
    borderline: tuple[str, ...]
    probabilities: dict[str, float]
    exact: bool
    fractions: dict[str, str] = Field(default_factory=dict)
    se: dict[str, float] = Field(default_factory=dict)
    simulations: int = 0


class DrawRecord(BaseModel):
    """The record of a draw: enough to repeat and check it (JSON round trip)."""

    model_config = ConfigDict(frozen=True)

    plan: DrawPlan
    seed: str
    tickets: dict[str, str]
    order: tuple[str, ...]
    drawn: tuple[str, ...]
    funded: tuple[str, ...]
    total_granted: int
    frame: int


def _classes(problem: Problem, uncertainty: Uncertainty, result: ExactResult | None) -> ExactResult:
    r = result if result is not None else classify(problem, uncertainty)
    if r.ids != tuple(problem.ids):
        raise InputError("the robustness result is for another problem (its ids differ)")
    open_ = [i for i, c in zip(r.ids, r.classes, strict=True) if c == "undecided"]
    if open_:
        raise AllocatorError(
            f"applications {open_[:5]} have no class yet (time limit); decide every class before a draw"
        )
    return r


def _setup(
    problem: Problem, uncertainty: Uncertainty, result: ExactResult | None
) -> tuple[ExactResult, _Oracle, list[int]]:
    r = _classes(problem, uncertainty, result)
    ids = problem.ids
    border = sorted((i for i, c in enumerate(r.classes) if c == "borderline"), key=lambda i: natural_key(ids[i]))
    core = [i for i, c in enumerate(r.classes) if c == "core"]
    ext = [i for i, c in enumerate(r.classes) if c == "exterior"]
    return r, _Oracle(load(problem), core, ext, border), border


def plan_draw(
    problem: Problem,
    uncertainty: Uncertainty,
    *,
    result: ExactResult | None = None,
    simulations: int = 20_000,
    seed: int = 0,
) -> DrawPlan:
    """The classes and inclusion probabilities, published before the draw (see the module docstring).

    ``simulations`` random orders (numpy, ``seed``) estimate the probabilities when the exact
    computation would follow more than :data:`MAX_STATES` states.
    """
    _, oracle, border = _setup(problem, uncertainty, result)
    ids = problem.ids
    names = [ids[i] for i in border]
    probs = _exact_probabilities(oracle, len(border)) if border else []
    base = DrawPlan(
        input_hash=input_hash(problem, uncertainty),
        core=tuple(sorted((ids[i] for i in oracle.core), key=natural_key)),
        exterior=tuple(sorted((ids[i] for i in oracle.exterior), key=natural_key)),
        borderline=tuple(names),
        probabilities={},
        exact=False,
    )
    if probs is not None:
        return base.model_copy(
            update={
                "probabilities": {n: float(p) for n, p in zip(names, probs, strict=True)},
                "exact": True,
                "fractions": {n: str(p) for n, p in zip(names, probs, strict=True)},
            }
        )
    rng = np.random.default_rng(seed)
    hits = np.zeros(len(border))
    for _ in range(simulations):
        got = _run(oracle, rng.permutation(len(border)).tolist())
        hits += [(got >> k) & 1 for k in range(len(border))]
    p = hits / simulations
    se = np.sqrt(p * (1 - p) / simulations)
    return base.model_copy(
        update={
            "probabilities": dict(zip(names, p.tolist(), strict=True)),
            "se": dict(zip(names, se.tolist(), strict=True)),
            "simulations": simulations,
        }
    )


class Lottery:
    """A draw prepared once for many seeds: classes, oracle, input hash and the published plan.

    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 8}),
    ...                   Application(id="B", requested=50, scores={"g": 5}),
    ...                   Application(id="C", requested=40, scores={"g": 4})])
    >>> lot = Lottery(p, Uncertainty.of(plus_minus=2))
    >>> lot.plan.borderline, lot.plan.fractions
    (('A', 'B'), {'A': '1/2', 'B': '1/2'})
    >>> lot.draw("4 1 6").funded in (("A", "C"), ("B", "C"))
    True
    """

    def __init__(
        self,
        problem: Problem,
        uncertainty: Uncertainty,
        *,
        plan: DrawPlan | None = None,
        result: ExactResult | None = None,
    ) -> None:
        self.problem = problem
        self.result, self.oracle, self.border = _setup(problem, uncertainty, result)
        self.digest = input_hash(problem, uncertainty)
        self.plan = plan if plan is not None else plan_draw(problem, uncertainty, result=self.result)
        if self.plan.input_hash != self.digest:
            raise InputError(
                "the published plan is for other inputs (its input hash differs); publish the plan of these inputs"
            )

    def draw(self, seed: str) -> DrawRecord:
        """The draw with the public ``seed``."""
        if not isinstance(seed, str) or not seed.strip():
            raise InputError("give the seed as non-empty text, e.g. the dice rolled at the meeting: '3 6 1 4 4 2'")
        ids = self.problem.ids
        border, oracle = self.border, self.oracle
        t = tickets(self.digest, seed, len(border))
        order = sorted(range(len(border)), key=lambda k: (t[k], k))
        got = _run(oracle, order)
        won = [border[k] for k in range(len(border)) if got >> k & 1]
        funded_idx = sorted(set(oracle.core) | set(won))
        x = np.zeros(len(ids), dtype=bool)
        x[funded_idx] = True
        if not oracle.model.feasible(x):  # pragma: no cover - guaranteed by the method
            raise AllocatorError("the drawn portfolio breaks a rule; this is a bug")
        return DrawRecord(
            plan=self.plan,
            seed=seed,
            tickets={ids[border[k]]: f"{t[k]:064x}" for k in range(len(border))},
            order=tuple(ids[border[k]] for k in order),
            drawn=tuple(sorted((ids[i] for i in won), key=natural_key)),
            funded=tuple(sorted((ids[i] for i in funded_idx), key=natural_key)),
            total_granted=int(sum(self.problem.applications[i].requested for i in funded_idx)),
            frame=self.problem.frame,
        )


def draw(
    problem: Problem,
    uncertainty: Uncertainty,
    seed: str,
    *,
    plan: DrawPlan | None = None,
    result: ExactResult | None = None,
) -> DrawRecord:
    """Draw among the borderline applications with the public ``seed`` (see the module docstring).

    ``plan``: the published :class:`DrawPlan` (made here when not given); it must be for
    these inputs (same input hash). For many seeds, prepare a :class:`Lottery` once.
    """
    return Lottery(problem, uncertainty, plan=plan, result=result).draw(seed)


def verify_draw(
    record: DrawRecord, problem: Problem, uncertainty: Uncertainty, *, result: ExactResult | None = None
) -> bool:
    """Repeat the draw of ``record`` from the inputs and its seed; True when everything matches."""
    again = draw(problem, uncertainty, record.seed, plan=record.plan, result=result)
    return again.model_dump(exclude={"plan"}) == record.model_dump(
        exclude={"plan"}
    ) and record.plan.input_hash == input_hash(problem, uncertainty)
