"""solve(problem) -> Solution: optimise, break ties exactly, read the decisions back.

The solve is lexicographic. Stage 1 maximises the total weighted score. Then, among the
portfolios of that exact value, each tie-break key in turn (by default: the higher total
green-transition score, then the lower total grant) is optimised with the previous optima
held as constraints; finally the remaining ties are broken by application id (prefer
funding the smaller id, then the larger grant to the smaller id). Every stage is solved to
proven optimality, so the decision depends neither on the input's row order nor on the
solver. With integer-scaled objectives (see :mod:`allocator.scoring`) the stage values are
held exactly; otherwise within 1e-9 relative.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import Any

import numpy as np

from allocator.exceptions import InfeasibleError, SolverError
from allocator.model.problem import Problem
from allocator.optimize.backends import Backend, RawResult, make_backend
from allocator.optimize.diagnose import diagnose
from allocator.optimize.effects import rule_effects
from allocator.optimize.formulation import Formulation, build, common_scale
from allocator.optimize.lagrange import LARGE_COLS, near_optimal
from allocator.optimize.lagrange_proof import EXACT_COLS, exact_optimum
from allocator.scoring import _normalised
from allocator.solution import Decision, Reason, Solution
from allocator.status import Status

__all__ = ["solve", "solve_formulation", "default_tie_break"]

_CHUNK = 40  # lexicographic id stage: 2**40 stays exact in a double


def default_tie_break(problem: Problem) -> tuple[str, ...]:
    """The tie-break keys in force: the problem's, else ('green', '-granted') as available."""
    if problem.options.tie_break is not None:
        return problem.options.tie_break
    names = {c.name for c in problem.criteria}
    return tuple(k for k in ("green", "-granted") if k.lstrip("-") in names | {"granted"})


def _gap_for(scale: int | None, c: np.ndarray) -> float:
    """Absolute gap that still proves optimality: just below 1 on an integer objective."""
    if scale is not None:
        return 0.999
    return 1e-9 * max(1.0, float(np.abs(c).sum()))


def _key_vector(f: Formulation, key: str) -> tuple[np.ndarray, bool, list[Fraction]]:
    """Column coefficients of a tie-break key, whether to maximise, and their exact form."""
    name = key.lstrip("-")
    maximize = not key.startswith("-")
    if name == "granted":
        exact = [Fraction(int(a)) if i >= 0 else Fraction(0) for i, a in zip(f.col_app, f.col_amount, strict=True)]
    else:
        j = [c.name for c in f.problem.criteria].index(name)

        crit = f.problem.criteria[j]
        per_app = [_normalised(crit, a.scores[name], f.problem.options.normalisation) for a in f.problem.applications]
        exact = f.exact_coefficients(per_app)
    return np.array([float(v) for v in exact]), maximize, exact


def solve(
    problem: Problem,
    *,
    solver: Any = "highs",
    time_limit: float | None = None,
    rel_gap: float = 0.0,
    threads: int | None = 1,
    tie_break: bool = True,
    raise_on_failure: bool = True,
) -> Solution:
    """Find the best portfolio for ``problem``.

    Parameters
    ----------
    problem
        The call to decide.
    solver
        ``"highs"`` (default: HiGHS in-process through highspy), ``"cbc"`` (through PuLP;
        bundled with PuLP 3, ``pip install 'pulp[cbc]'`` on PuLP 4), ``"pulp-highs"``
        (HiGHS through PuLP), or any PuLP solver object (used as configured).
    time_limit
        Seconds for the whole solve. On time-out the best portfolio found is returned with
        status FEASIBLE and its gap.
    rel_gap
        Relative optimality gap; 0 (default) proves optimality. Tie-breaking needs a proven
        optimum and is skipped when ``rel_gap > 0``.
    threads
        HiGHS threads (1 is fastest on small machines).
    tie_break
        Break ties among optimal portfolios by the rule in :func:`default_tie_break`, then by
        id. ``False`` returns the solver's first optimum (faster on very large calls).
    raise_on_failure
        Raise :class:`InfeasibleError` / :class:`SolverError` when no portfolio is found;
        with ``False`` the failure is returned as a Solution with that status.

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application, solve
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 9}),
    ...                   Application(id="B", requested=50, scores={"g": 6}),
    ...                   Application(id="C", requested=50, scores={"g": 5})])
    >>> solve(p).funded_ids
    ['B', 'C']
    """
    t0 = time.perf_counter()
    f = build(problem)
    backend = make_backend(f.model, solver, threads=threads, name=problem.name or "allocator")
    return solve_formulation(
        f,
        backend,
        time_limit=time_limit,
        rel_gap=rel_gap,
        tie_break=tie_break,
        raise_on_failure=raise_on_failure,
        started=t0,
    )


def solve_formulation(
    f: Formulation,
    backend: Backend,
    *,
    time_limit: float | None = None,
    rel_gap: float = 0.0,
    tie_break: bool = True,
    raise_on_failure: bool = True,
    started: float | None = None,
    start: np.ndarray | None = None,
) -> Solution:
    """Solve an already built formulation on a loaded backend (used by sweeps)."""
    t0 = started if started is not None else time.perf_counter()

    def remaining() -> float | None:
        if time_limit is None:
            return None
        return max(0.01, time_limit - (time.perf_counter() - t0))

    c = f.model.objective
    res = _large_call(f, rel_gap, remaining()) or backend.solve(
        time_limit=remaining(), rel_gap=rel_gap, abs_gap=_gap_for(f.scale, c), start=start
    )
    solves = 1
    if not res.status.has_solution or res.x is None:
        return _failure(f, backend, res, t0, solves, raise_on_failure)

    x = _clean(f, res.x)
    keys: tuple[str, ...] = ()
    if tie_break and res.status is Status.OPTIMAL and rel_gap == 0:
        x, keys, n = _break_ties(f, backend, x, remaining)
        solves += n
    return _solution(f, backend, res, x, keys, t0, solves, rel_gap=rel_gap)


def _large_call(f: Formulation, rel_gap: float, time_limit: float | None) -> RawResult | None:
    """Large all-or-nothing calls, by Lagrangian decomposition, usually in a fraction of the
    MIP's time; None (use the MIP) when that does not apply or does not succeed.

    With ``rel_gap == 0`` (5 000+ columns, integer objective): an optimum proven by
    :func:`allocator.optimize.lagrange_proof.exact_optimum` (Lagrangian bounds fix most decisions, a
    restricted MIP settles the rest). With ``rel_gap > 0`` (20 000+ columns): a portfolio
    within the gap of a Lagrangian bound (:func:`allocator.optimize.lagrange.near_optimal`).
    """

    if f.problem.options.partial:
        return None
    if rel_gap == 0:
        if f.scale is None or f.model.n_cols < EXACT_COLS:
            return None
        budget = max(2.0, f.model.n_cols / 2000)
        e = exact_optimum(f.model, time_limit=min(budget, time_limit) if time_limit else budget)
        if e is None:
            return None
        return RawResult(Status.OPTIMAL, e.x, e.value, e.value, e.seconds, "optimal (Lagrangian fixing and a restricted MIP)")
    if f.model.n_cols < LARGE_COLS:
        return None
    r = near_optimal(f.model, rel_gap=rel_gap, time_limit=time_limit)
    if r is None or r.gap > rel_gap:
        return None
    msg = f"within {r.gap:.4%} of a Lagrangian bound (requested gap {rel_gap:.4%})"
    return RawResult(Status.FEASIBLE, r.x, r.value, r.bound, r.seconds, msg)


def _clean(f: Formulation, x: np.ndarray) -> np.ndarray:
    """Round integer columns (solvers return 0.9999999 and -0.0)."""
    out = x.copy()
    out[f.model.integer] = np.rint(out[f.model.integer])
    return out


def _hold(backend: Backend, c: np.ndarray, exact: list[Fraction] | None, x: np.ndarray, maximize: bool) -> None:
    """Add a row keeping objective ``c`` at its value in ``x`` (exact when scaled)."""
    nz = np.flatnonzero(c)
    if exact is not None and (scale := common_scale(exact)) is not None:
        ci = np.array([float(v * scale) for v in exact])
        v = float(np.dot(ci, x))
        lo, hi = (v - 0.5, np.inf) if maximize else (-np.inf, v + 0.5)
        backend.add_row(np.flatnonzero(ci), ci[ci != 0], lo, hi)
        return
    v = float(np.dot(c, x))
    tol = 1e-9 * max(1.0, abs(v))
    lo, hi = (v - tol, np.inf) if maximize else (-np.inf, v + tol)
    backend.add_row(nz, c[nz], lo, hi)


def _break_ties(f: Formulation, backend: Backend, x: np.ndarray, remaining: Any) -> tuple[np.ndarray, tuple[str, ...], int]:
    """Apply the tie-break keys, then the id order. Returns the final x, keys used, solves."""
    solves = 0
    value_exact = f.exact_coefficients(list(f.scores.exact))
    _hold(backend, f.model.objective, value_exact, x, True)
    used: list[str] = []
    for key in default_tie_break(f.problem):
        kc, maximize, kexact = _key_vector(f, key)
        if not np.any(kc):
            continue
        scale = common_scale(kexact)
        obj = np.array([float(v * scale) for v in kexact]) if scale else kc
        backend.set_objective(obj, maximize=maximize)
        res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=_gap_for(scale, obj), start=x)
        solves += 1
        if res.status is not Status.OPTIMAL or res.x is None:
            return x, tuple(used), solves
        x = _clean(f, res.x)
        _hold(backend, kc, kexact, x, maximize)
        used.append(key)
    x, n = _id_stage(f, backend, x, remaining)
    used.append("id")
    return x, tuple(used), solves + n


def _id_stage(f: Formulation, backend: Backend, x: np.ndarray, remaining: Any) -> tuple[np.ndarray, int]:
    """Among the remaining ties prefer funding smaller ids, then larger grants to smaller ids."""
    solves = 0
    sel = f.select[f.order]  # selection columns in id order
    n_cols = f.model.n_cols
    # Is the selection already unique? Maximise the Hamming distance to the current one.
    dist = np.zeros(n_cols)
    cur = x[sel]
    dist[sel] = np.where(cur > 0.5, -1.0, 1.0)
    backend.set_objective(dist, maximize=True)
    res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.5, start=x)
    solves += 1
    if res.status is Status.OPTIMAL and res.x is not None and float(np.dot(dist, _clean(f, res.x))) + cur.sum() > 0.5:
        for a in range(0, len(sel), _CHUNK):
            chunk = sel[a : a + _CHUNK]
            w = np.zeros(n_cols)
            w[chunk] = 2.0 ** np.arange(len(chunk) - 1, -1, -1)
            backend.set_objective(w, maximize=True)
            res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.5, start=x)
            solves += 1
            if res.status is not Status.OPTIMAL or res.x is None:
                return x, solves
            x = _clean(f, res.x)
            backend.set_col_bounds(chunk, x[chunk], x[chunk])
    else:
        backend.set_col_bounds(sel, x[sel], x[sel])
    if f.problem.options.partial:
        grants = f.grants(x)
        for i in f.order.tolist():
            cols = np.flatnonzero(f.col_app == i)
            if grants[i] == 0 or grants[i] == f.problem.applications[i].requested:
                # already the largest (or, unfunded, the only) grant: hold it for the later ids
                backend.set_col_bounds(cols, x[cols], x[cols])
                continue
            g = np.zeros(n_cols)
            g[cols] = f.col_amount[cols]
            backend.set_objective(g, maximize=True)
            res = backend.solve(time_limit=remaining(), rel_gap=0.0, abs_gap=0.5, start=x)
            solves += 1
            if res.status is not Status.OPTIMAL or res.x is None:
                return x, solves
            x = _clean(f, res.x)
            backend.set_col_bounds(cols, x[cols], x[cols])
            grants = f.grants(x)
    return x, solves


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1 = highest score; ties share the better rank."""
    order = np.sort(scores)[::-1]
    return np.searchsorted(-order, -scores, side="left") + 1


def _solution(
    f: Formulation, backend: Backend, res: RawResult, x: np.ndarray, keys: tuple[str, ...], t0: float, solves: int, *, rel_gap: float = 0.0
) -> Solution:
    p = f.problem
    grants = f.grants(x)
    total = int(grants.sum())
    if total > p.frame:  # never trust a solver blindly with public money
        raise SolverError(f"the solver returned grants of {total} over the frame {p.frame}; this is a bug")
    ranks = _ranks(f.scores.weighted)
    effects = None
    if p.rules:  # rules: locks, blocked applications, binding rules (allocator.optimize.effects)

        effects = rule_effects(f, x)
    decisions = []
    for i, a in enumerate(p.applications):
        g = int(grants[i])
        s = float(f.scores.weighted[i])
        lv = f.levels[i]
        if g == a.requested:
            reason, note = Reason.FUNDED, "funded in full"
        elif g > 0:
            reason, note = Reason.FUNDED_PARTIALLY, f"funded {g / a.requested:.0%} of the request"
        elif not f.scores.eligible[i]:
            reason, note = Reason.INELIGIBLE, f"ineligible: {f.scores.reasons[i]}"
        elif lv.minimum > p.frame:
            reason, note = Reason.TOO_LARGE, f"its {'minimum' if p.options.partial else 'request'} {lv.minimum:,} exceeds the frame {p.frame:,}"
        else:
            reason, note = Reason.OUTRANKED, "not funded: the frame gives more value spent on the funded applications"
        binding: tuple[str, ...] = ()
        if effects is not None:
            reason, note, binding = effects.decide(i, reason, note, g)
        decisions.append(
            Decision.of(a, granted=g, score=s, rank=int(ranks[i]), eligible=bool(f.scores.eligible[i]),
                        reason=reason, note=note, binding_rules=binding)
        )
    objective = f.value(grants)
    gap = None
    bound = None
    within_gap = res.status is Status.OPTIMAL and rel_gap > 0  # optimal only up to rel_gap
    if res.bound is not None and res.objective is not None and (res.status is Status.FEASIBLE or within_gap):
        unit = f.scale or 1
        # on an integer-scaled objective no portfolio is worth more than the bound's floor
        raw = math.floor(res.bound + 1e-6) if f.scale else res.bound
        bound = max(raw / unit, objective)
        gap = max(0.0, (bound - objective) / max(abs(bound), 1e-12))
    elif res.status is Status.OPTIMAL:
        bound, gap = objective, 0.0
    return Solution(
        status=res.status,
        message=res.message,
        problem_name=p.name,
        currency=p.currency,
        objective=objective,
        bound=bound,
        gap=gap,
        frame=p.frame,
        total_granted=total,
        frame_left=p.frame - total,
        n_funded=int((grants > 0).sum()),
        solver=backend.name,
        solver_version=backend.version,
        runtime_s=time.perf_counter() - t0,
        solves=solves,
        tie_break=keys,
        binding_rules=effects.binding if effects is not None else (),
        decisions=tuple(decisions),
    )


def _failure(f: Formulation, backend: Backend, res: RawResult, t0: float, solves: int, raise_on_failure: bool) -> Solution:
    p = f.problem
    diagnosis = None
    msg = res.message
    if res.status is Status.INFEASIBLE:
        msg = "no portfolio satisfies every rule"
        if getattr(p, "rules", ()):

            diagnosis = diagnose(p)
            msg = f"{msg}: {diagnosis.summary}" if hasattr(diagnosis, "summary") else msg
    elif res.status is Status.NO_SOLUTION:
        msg = "the time limit ran out before any portfolio was found; raise time_limit"
    sol = Solution(
        status=res.status,
        message=msg,
        problem_name=p.name,
        currency=p.currency,
        frame=p.frame,
        frame_left=p.frame,
        solver=backend.name,
        solver_version=backend.version,
        runtime_s=time.perf_counter() - t0,
        solves=solves,
        diagnosis=diagnosis,
    )
    if raise_on_failure:
        if res.status is Status.INFEASIBLE:
            raise InfeasibleError(msg, diagnosis=diagnosis, solution=sol)
        raise SolverError(f"{res.status.value}: {msg}")
    return sol
