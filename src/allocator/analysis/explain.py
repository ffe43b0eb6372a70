"""Why this portfolio: for each application, why it was or was not funded, and by how much.

:func:`explain` returns one row per application (input order). Every number is the answer
to a what-if question solved exactly on the same model (:class:`allocator.optimize.engine.Engine`,
so the call's rules hold in every what-if). Let ``V*`` be the optimal value, ``s_i`` the
weighted score of application *i* (the ``score`` of the decisions: the value of funding it
in full) and ``share_i(P)`` the share of its request it receives in portfolio ``P``.

``margin_up`` (not funded)
    How much ``s_i`` would have to rise, all else equal, for *i* to be funded:
    ``min over portfolios P funding i of (V* - V(P)) / share_i(P)``. With all-or-nothing
    funding ``share_i(P) = 1`` and this is simply ``V* - V_in``, the optimum minus the best
    value with *i* forced in. If ``s_i`` rises by **more** than the margin, every optimum
    funds *i*; by **less**, none does; by exactly the margin, the portfolios tie and the
    tie-break decides. (With partial funding it is found by Dinkelbach's iteration.)
``margin_down`` (funded)
    How far ``s_i`` could fall before *i* receives nothing: the ``delta`` at which the best
    portfolio funding *i*, valued with ``s_i - delta``, falls to ``V_out``, the best value
    with *i* forced out. All-or-nothing: ``V* - V_out``. Falling by more than the margin it
    leaves, by less it stays (under partial funding possibly with a smaller grant). Empty
    when the rules require it (forcing it out is infeasible).
``max_grant``
    The largest request, in whole kroner, at which funding it in full is optimal (ties
    included), all else equal: for a funded application, how much more it could have asked
    for; for one not funded, the request at which it would have been funded. Exact:
    all-or-nothing without rules, the cheapest portfolio worth at least the best value
    without *i*, with *i* forced in and the frame lifted, costs ``C``; then ``max_grant =
    frame - (C - request)``. With rules or partial funding, one integer program in which
    *i*'s request is a column of its own, in the frame and in every rule row, maximised
    under the same value condition (:mod:`allocator.analysis.margins`).
``displaces`` / ``also_funded``
    The difference between the optimum and the best portfolio with *i* forced in: the
    funded applications it would push out, and the others that would come in with it. Of
    the portfolios with *i* forced in, the one keeping most of the current selection.
``replaced_by``
    For a funded application: what would come in were it forced out.
``reason``
    ``ineligible`` (a threshold missed), ``too_large`` (its request, or minimum, exceeds the
    frame), ``locked_in`` / ``locked_out``, ``blocked_by_rule`` (forcing it in is infeasible,
    or a rule binds the forced-in portfolio and dropping that rule alone would fund it),
    ``outranked`` (value for money: the frame buys more elsewhere), ``funded``,
    ``funded_partially``.

A margin concerns the optimisation only: a score moved past an eligibility threshold
(``Options.min_total_score``) changes eligibility too, which the margin does not include.
To verify a margin, change the application's weighted score by that amount, e.g. in a
problem with a single criterion of weight 1 on a ratio scale, or by scaling all its
criterion scores by ``(s_i + delta) / s_i``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from allocator.analysis.explanation import Explanation
from allocator.analysis.margins import Requests, margin_down_partial, margin_up_partial
from allocator.analysis.margins import max_grant as largest_request
from allocator.analysis.sentences import check_lang, sentence
from allocator.analysis.threads import in_threads, thread_count
from allocator.exceptions import AllocatorError
from allocator.model.guards import check_solve
from allocator.model.problem import Problem
from allocator.model.solution import Decision, Reason, Solution
from allocator.optimize.effects import RuleEffects, rule_effects
from allocator.optimize.engine import QUESTIONS, Engine, Outcome
from allocator.optimize.solve import solve

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Explanation", "explain", "explanations", "to_frame"]


def _check_solution(problem: Problem, solution: Solution) -> np.ndarray:
    if not solution.status.has_solution:
        raise AllocatorError(f"the solution has status {solution.status.value}: there is no portfolio to explain")
    got = solution.grants
    if set(got) != set(problem.ids):
        raise AllocatorError(
            "the solution is for other applications than the problem "
            f"({len(got)} decisions for {len(problem.ids)} applications); pass solve(problem)'s solution"
        )
    return np.array([got[a.id] for a in problem.applications], dtype=np.int64)


def _ineligible_nb(problem: Problem, i: int, score: Fraction) -> str:
    a = problem.applications[i]
    parts = [
        f"{c.display} fikk {a.scores[c.name]:g}, under terskelen {c.threshold:g}".replace(".", ",")
        for c in problem.criteria
        if c.threshold is not None and a.scores[c.name] < c.threshold
    ]
    t = problem.options.min_total_score
    if t is not None and float(score) < t:
        parts.append(f"vektet poengsum {float(score):.4g} er under terskelen {t:g}".replace(".", ","))
    return "; ".join(parts)


def _culprits(w: Engine, feasible: Any) -> tuple[str, ...]:
    """Rules whose relaxation alone makes ``feasible()`` true."""
    found = []
    for label, rr in w.rule_rows().items():
        with w.relaxed(rr):
            if feasible():
                found.append(label)
    return tuple(found)


def _blocking(w: Engine, i: int, forced_in: Outcome, broken: tuple[str, ...]) -> tuple[str, ...]:
    """Of the rules ``broken`` by adding ``i`` to the decision, those binding the forced-in
    portfolio whose removal alone would fund ``i``."""
    rows = w.rule_rows()
    out = []
    for label in [r for r in w.binding_rules(forced_in.x) if r in broken]:
        with w.relaxed(rows[label]):
            b, bi = w.best(), w.best(fix_in=[i])
        if b is not None and bi is not None and bi.value >= b.value:
            out.append(label)
    return tuple(out)


def _one(
    w: Engine,
    i: int,
    grants: np.ndarray,
    v_star: Fraction,
    want_max: bool,
    requests: Requests | None,
    decision: Decision,
    effects: RuleEffects,
) -> dict[str, Any]:
    """The margins and alternatives of application ``i``; its reason is the decision's."""
    p, f = w.problem, w.f
    ids = p.ids
    funded = grants > 0

    def names(mask: np.ndarray) -> tuple[str, ...]:
        return tuple(ids[j] for j in np.flatnonzero(mask))

    out: dict[str, Any] = {
        "min_amount": f.levels[i].minimum,
        "reason": decision.reason,
        "rules": effects.causes(i, decision.reason),
    }
    reason = decision.reason
    if reason is Reason.INELIGIBLE:
        out.update(detail=f.scores.reasons[i], detail_nb=_ineligible_nb(p, i, f.scores.exact[i]))
        return out
    if reason in (Reason.LOCKED_IN, Reason.LOCKED_OUT):
        return out
    if reason is Reason.TOO_LARGE:
        out["detail"] = "minimum" if p.options.partial else "request"
    if funded[i]:
        others = funded.copy()
        others[i] = False
        o = w.best(fix_out=[i], prefer=w.selection_vector(others))
        if o is None:  # the rules require it, though no lock names it
            return out
        sigma = Fraction(int(grants[i]), p.applications[i].requested)
        out["margin_down"] = (
            margin_down_partial(w, i, sigma, v_star, o.value) if p.options.partial else v_star - o.value
        )
        out["replaced_by"] = names(o.funded & ~funded)
        if want_max:
            out["max_grant"] = largest_request(w, i, o.value, requests, start=w.f.columns(grants))
        return out
    if reason is not Reason.TOO_LARGE:
        o = w.best(fix_in=[i], prefer=w.selection_vector(funded))
        if reason is Reason.BLOCKED_BY_RULE:  # of the rules it would break, those that alone keep it out
            alone = (
                _culprits(w, lambda: w.best(fix_in=[i]) is not None) if o is None else _blocking(w, i, o, out["rules"])
            )
            out["rules"] = alone or out["rules"]
        if o is not None:
            out["margin_up"] = margin_up_partial(w, i, v_star, o) if p.options.partial else v_star - o.value
            both = o.funded.copy()
            both[i] = False
            out["displaces"] = names(funded & ~o.funded)
            out["also_funded"] = names(both & ~funded)
    if want_max:
        out["max_grant"] = largest_request(w, i, v_star, requests)
    return out


def explanations(
    problem: Problem,
    solution: Solution | None = None,
    *,
    max_grant: bool = True,
    time_limit: float | None = None,
    method: Literal["auto", "mip"] = "auto",
    threads: int | None = None,
) -> list[Explanation]:
    """One :class:`Explanation` per application, in input order.

    Parameters
    ----------
    problem
        The call.
    solution
        Its optimal solution (``solve(problem)``); solved here when omitted. A portfolio
        worth less than the optimum (rank-and-fund, a time-limited solve) is refused.
    max_grant
        Compute ``max_grant`` (one extra solve per application; more under partial funding).
    time_limit
        Seconds per what-if solve.
    method
        ``"auto"``: dynamic programming where the call is a plain knapsack, else HiGHS;
        ``"mip"``: always HiGHS (the same answers, slower; for checking).
    threads
        The applications' questions are answered in this many threads, each on its own copy
        of the model (HiGHS works outside Python's lock, so the threads run at once). Every
        answer is proven, so the explanations do not depend on it. ``None``: two where the
        questions are integer programs (rules or partial funding) and the machine has two
        cores or more, else one.
    """
    check_solve("explanations", problem, time_limit=time_limit)
    if solution is None:
        solution = solve(problem, time_limit=time_limit)
    grants = _check_solution(problem, solution)
    decisions = {d.id: d for d in solution.decisions}
    w = Engine.of(problem, time_limit=time_limit, method=method, options=QUESTIONS)
    effects = rule_effects(w.f, w.f.columns(grants))
    v_star = w.f.exact_value(grants)
    best = w.best()
    if best is None or best.value > v_star:
        opt = "none" if best is None else f"{float(best.value):.6g}"
        raise AllocatorError(
            f"the solution's value {float(v_star):.6g} is not the optimum ({opt}); explain needs an "
            "optimal solution: pass solve(problem)'s solution, or none"
        )
    mips = bool(problem.options.partial or problem.rules)
    n = len(problem.applications)
    workers = min(thread_count(threads, mips), n)

    def engine(k: int) -> tuple[Engine, Requests | None]:
        e = w if k == 0 else Engine.of(problem, time_limit=time_limit, method=method, options=QUESTIONS)
        return e, (Requests(e) if max_grant and mips else None)  # one model for every request

    def facts(model: tuple[Engine, Requests | None], i: int) -> dict[str, Any]:
        e, requests = model
        return _one(e, i, grants, v_star, max_grant, requests, decisions[problem.applications[i].id], effects)

    found = in_threads(workers, n, engine, facts)
    out = []
    for i, a in enumerate(problem.applications):
        e = Explanation(
            id=a.id,
            title=a.title,
            funded=bool(grants[i] > 0),
            requested=a.requested,
            granted=int(grants[i]),
            score=float(w.f.scores.weighted[i]),
            score_exact=w.f.scores.exact[i],
            **found[i],
        )
        en, nb = (sentence(e, lang, problem=problem, tie_break=solution.tie_break) for lang in ("en", "nb"))
        out.append(e.model_copy(update={"sentence_en": en, "sentence_nb": nb}))
    return out


def to_frame(items: list[Explanation], lang: str = "en", *, exact: bool = False) -> pd.DataFrame:
    """The explanations as a DataFrame (see :func:`explain` for the columns); with
    ``exact=True`` the score and the margins are exact fractions (``None`` for no value)."""
    import pandas as pd

    lang = check_lang(lang)
    nan = float("nan")
    rows = []
    for e in items:
        down: Any = nan
        up: Any = nan if e.margin_up is None else float(e.margin_up)
        if e.funded:
            down = float(e.margin_down) if e.margin_down is not None else float("inf")
        if exact:
            up, down = e.margin_up, e.margin_down
        rows.append(
            {
                "id": e.id,
                "title": e.title,
                "funded": e.funded,
                "requested": e.requested,
                "granted": e.granted,
                "score": e.score_exact if exact else e.score,
                "reason": e.reason.value,
                "rules": "; ".join(e.rules),
                "margin_up": up,
                "margin_down": down,
                "max_grant": e.max_grant,
                "displaces": "; ".join(e.displaces),
                "also_funded": "; ".join(e.also_funded),
                "replaced_by": "; ".join(e.replaced_by),
                "detail": e.detail,
                "sentence": e.sentence(lang),
                "sentence_en": e.sentence_en,
                "sentence_nb": e.sentence_nb,
            }
        )
    df = pd.DataFrame(rows)
    if len(df):
        df = df.astype({"requested": "int64", "granted": "int64", "funded": "bool", "max_grant": "Int64"})
    return df


def explain(
    problem: Problem,
    solution: Solution | None = None,
    *,
    lang: str = "en",
    max_grant: bool = True,
    time_limit: float | None = None,
    method: Literal["auto", "mip"] = "auto",
    exact: bool = False,
    threads: int | None = None,
) -> pd.DataFrame:
    """Why each application was or was not funded, by how much, and what would change it.

    One row per application, in input order. Columns: ``id``, ``title``, ``funded``,
    ``requested``, ``granted``, ``score`` (weighted), ``reason``, ``rules`` (the rules
    involved, ``; ``-separated), ``margin_up`` (not funded: how much its weighted score
    would have to rise to enter; NaN when no score would do), ``margin_down`` (funded: how
    far it could fall before it leaves; ``inf`` when the rules require it), ``max_grant``
    (largest request at which it is funded), ``displaces``, ``also_funded``,
    ``replaced_by``, ``detail``, ``sentence`` (in ``lang``: 'en' or 'nb'), ``sentence_en``,
    ``sentence_nb``. The definitions are in the module documentation. With ``exact=True``
    the columns ``score``, ``margin_up`` and ``margin_down`` hold the exact values
    (:class:`fractions.Fraction`; ``None`` where there is none), as computed.
    :func:`explanations` gives the same as :class:`Explanation` objects; ``threads`` and the
    other parameters are described there.

    Examples
    --------
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> df = explain(p)
    >>> df[["id", "funded", "displaces", "margin_up", "margin_down", "max_grant"]]
      id  funded displaces  margin_up  margin_down  max_grant
    0  A   False      B; C        0.2          NaN         50
    1  B    True                  NaN          0.2         50
    2  C    True                  NaN          0.2         50
    >>> print(df.sentence[0])  # 0.9 + 0.2 is beyond the top of the scale (1.0)
    Not funded: it could not be funded on its score alone, not even with the top score on every criterion; only with a request of at most NOK 50.
    """
    check_solve("explain", problem, time_limit=time_limit)
    return to_frame(
        explanations(problem, solution, max_grant=max_grant, time_limit=time_limit, method=method, threads=threads),
        lang,
        exact=exact,
    )
