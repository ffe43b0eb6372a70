"""The value of the frame: the optimal value as a function of the frame.

``V(F)``, the best value a frame of ``F`` kroner can buy, is a non-decreasing step function
(for rules that do not depend on the frame). :func:`frame_curve` evaluates it on a grid,
beside the rank-and-fund-down-the-list practice (:func:`allocator.rank_and_fund`) on the
same frames; :func:`frame_breakpoints` finds its steps exactly: starting from ``V(lo)``, the
next breakpoint is the smallest total grant of any portfolio worth strictly more than the
current value, ``F' = min { cost(P) : value(P) > V(F) }``, and ``V(F') = V(F' - 1)`` is
impossible by construction; repeat until ``hi``. With all-or-nothing funding the
breakpoints are subset sums of the requests. :func:`entry_frames` reads, from the
breakpoints, the frame at which each application first enters and whether it stays.

All solves reuse one loaded model (:class:`allocator.optimize.engine.Engine`); a plain knapsack is
answered by dynamic programming.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from allocator.analysis.baseline import rank_and_fund
from allocator.exceptions import AllocatorError, PolicyError, SolverError
from allocator.model.problem import Problem
from allocator.model.rules import GroupLimit, MaxGrant
from allocator.optimize.engine import Engine, Outcome
from allocator.rules.rows import rule_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["entry_frames", "frame_breakpoints", "frame_curve", "frame_dependent"]


def frame_dependent(problem: Problem) -> bool:
    """Whether a rule refers to the frame itself (a share of it: "at most 40 % of the frame
    per theme", "at most 20 % of the frame per grant"), so that the model depends on the
    frame other than through the frame row. Read from the rules, not from the built model:
    a share rule can be redundant at one frame and bind at another."""
    for rule in problem.rules:
        if isinstance(rule, GroupLimit) and (rule.max_share is not None or rule.min_share is not None):
            return True
        if isinstance(rule, MaxGrant) and rule.share is not None:
            return True
    return False


def _nothing_meets_the_rules_at_zero(problem: Problem) -> bool:
    """Whether funding nothing satisfies every rule when the frame is 0 (shares of it are 0)."""
    at_zero = problem.model_copy(update={"frame": 0})  # a frame of 0 is no valid call, but its rules are
    return all(row.lower <= 0 <= row.upper for row in rule_rows(at_zero, keep_redundant=True))


def _eligible_total(w: Engine) -> int:
    p = w.problem
    return int(sum(a.requested for a, ok in zip(p.applications, w.f.scores.eligible, strict=True) if ok))


def _whole(value: Any, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not float(value).is_integer() or value < 0:
        raise AllocatorError(f"{what} {value!r} must be a whole, non-negative number of kroner")
    return int(value)


def _ids(w: Engine, o: Outcome) -> str:
    return "; ".join(w.problem.ids[j] for j in np.flatnonzero(o.funded))


def frame_curve(
    problem: Problem,
    frames: Any = None,
    n: int = 25,
    lo: int = 0,
    hi: int | None = None,
    *,
    baseline: bool = True,
    time_limit: float | None = None,
    method: Literal["auto", "mip"] = "auto",
) -> pd.DataFrame:
    """The optimal value on a grid of frames, beside rank-and-fund.

    Parameters
    ----------
    problem
        The call; its frame is ignored except that it joins the default grid.
    frames
        The frames to evaluate (whole kroner). Default: ``n`` evenly spaced frames from
        ``lo`` to ``hi`` (rounded to whole kroner), plus the problem's own frame.
    lo, hi
        The range of the default grid; ``hi`` defaults to the total requested by the
        eligible applications (beyond it nothing changes) or the problem's frame, whichever
        is larger, so that the problem's frame is always on the default grid.
    baseline
        Also evaluate rank-and-fund on each frame.
    time_limit, method
        Seconds per solve; ``"auto"`` (dynamic programming for a plain knapsack, else
        HiGHS) or ``"mip"`` (always HiGHS).

    Returns
    -------
    pandas.DataFrame
        One row per frame, ascending: ``frame``, ``value`` (optimal), ``granted``,
        ``n_funded``, ``funded`` (the ids of an optimal portfolio, ``; ``-separated),
        ``marginal`` (value per extra krone since the previous grid frame),
        ``rank_and_fund`` (its value), ``rank_and_fund_granted``, ``gain`` (optimal minus
        rank-and-fund), ``current`` (the problem's frame).

    Examples
    --------
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> frame_curve(p, frames=[50, 60, 100, 160])[["frame", "value", "funded", "rank_and_fund"]]
       frame  value   funded  rank_and_fund
    0     50    0.6        B            0.6
    1     60    0.9        A            0.9
    2    100    1.1     B; C            0.9
    3    160    2.0  A; B; C            2.0
    """
    import pandas as pd

    w = Engine.of(problem, time_limit=time_limit, method=method)
    if frames is None:
        top = max(_eligible_total(w), problem.frame) if hi is None else _whole(hi, "hi")
        low = _whole(lo, "lo")
        if top <= low:
            raise AllocatorError(f"hi {top} must exceed lo {low}; give a range of frames")
        if n < 2:
            raise AllocatorError(f"n {n} must be at least 2 grid points")
        grid = {round(float(v)) for v in np.linspace(low, top, n)}
        if low <= problem.frame <= top:
            grid.add(problem.frame)
        values = sorted(grid)
    else:
        values = sorted({_whole(v, "frame") for v in np.atleast_1d(np.asarray(frames, dtype=object))})
        if not values:
            raise AllocatorError("frames is empty; give at least one frame")
    dependent = frame_dependent(problem)
    rows = []
    prev: tuple[int, Fraction] | None = None
    for F in values:
        if dependent and F > 0:
            o = Engine.of(problem.with_frame(F), time_limit=time_limit).best()
        elif dependent:  # a frame of 0 funds nothing: feasible when nothing funded meets every rule there
            o = w.outcome(np.zeros(w.model.n_cols)) if _nothing_meets_the_rules_at_zero(problem) else None
        else:
            with w.at_frame(F):
                o = w.best()
        row: dict[str, Any] = {"frame": F}
        if o is None:
            row.update(value=float("nan"), granted=0, n_funded=0, funded="", marginal=float("nan"))
            prev = None
        else:
            row.update(value=float(o.value), granted=o.total, n_funded=int(o.funded.sum()), funded=_ids(w, o))
            row["marginal"] = float((o.value - prev[1]) / (F - prev[0])) if prev is not None else float("nan")
            prev = (F, o.value)
        if baseline:
            if F == 0:
                row.update(rank_and_fund=0.0, rank_and_fund_granted=0)
            else:
                b = rank_and_fund(problem.with_frame(F))
                row.update(rank_and_fund=float(b.objective or 0.0), rank_and_fund_granted=b.total_granted)
            row["gain"] = row["value"] - row["rank_and_fund"]
        row["current"] = problem.frame == F
        rows.append(row)
    return pd.DataFrame(rows)


def frame_breakpoints(
    problem: Problem,
    lo: int = 0,
    hi: int | None = None,
    *,
    limit: int = 100_000,
    time_limit: float | None = None,
    method: Literal["auto", "mip"] = "auto",
) -> pd.DataFrame:
    """The exact frames in ``(lo, hi]`` at which the optimal value rises.

    Parameters
    ----------
    lo, hi
        The range of frames (``hi`` defaults to the total requested by the eligible
        applications).
    limit
        Stop with an error after this many breakpoints.
    time_limit, method
        Seconds per solve; ``"auto"`` or ``"mip"`` as in :func:`frame_curve`.

    Returns
    -------
    pandas.DataFrame
        First a row for ``lo`` itself (``breakpoint`` False unless the value rises there),
        then one row per breakpoint, ascending: ``frame``, ``value``, ``gain`` (the rise),
        ``marginal`` (gain per krone since the previous row's frame), ``granted``,
        ``n_funded``, ``funded`` (an optimal portfolio at that frame; among the cheapest
        ones the most valuable, then the one keeping most of the previous portfolio),
        ``enter`` and ``leave`` (ids that change from the previous row), ``breakpoint``.
        Exact: ``V(frame - 1) < V(frame)``, and the value is constant up to the next row.

    Examples
    --------
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> frame_breakpoints(p)[["frame", "enter", "leave", "value"]]
       frame enter leave  value
    0      0                0.0
    1     50     B          0.6
    2     60     A     B    0.9
    3    100  B; C     A    1.1
    4    110     A     C    1.5
    5    160     C          2.0
    """
    import pandas as pd

    if frame_dependent(problem):
        raise PolicyError(
            "the rules depend on the frame (a share of the frame), so the value is not a "
            "simple step function of it; use frame_curve on a grid instead"
        )
    w = Engine.of(problem, time_limit=time_limit, method=method)
    low = _whole(lo, "lo")
    top = _eligible_total(w) if hi is None else _whole(hi, "hi")
    if top < low:
        raise AllocatorError(f"hi {top} must be at least lo {low}")
    ids = problem.ids

    def below(F: int) -> Fraction | None:
        if F <= 0:
            return None
        with w.at_frame(F - 1):
            o = w.best()
        return None if o is None else o.value

    with w.at_frame(low):
        cur = w.best()
    rows: list[dict[str, Any]] = []
    if cur is None:  # rules need more than lo: start from the cheapest feasible portfolio
        with w.at_frame(top):
            cur = w.cheapest()
        if cur is None:
            return pd.DataFrame(
                columns=[
                    "frame",
                    "value",
                    "gain",
                    "marginal",
                    "granted",
                    "n_funded",
                    "funded",
                    "enter",
                    "leave",
                    "breakpoint",
                ]
            )
        low = cur.total
    v_low_prev = below(low)
    rows.append(_row(w, low, cur, None, None, v_low_prev is not None and cur.value > v_low_prev))
    while len(rows) <= limit:
        with w.at_frame(top), w.value_at_least(cur.value, strict=True):
            nxt = w.cheapest(prefer=w.selection_vector(cur.funded))
        if nxt is None:
            break
        if nxt.value <= cur.value or nxt.total <= rows[-1]["frame"]:
            raise SolverError(
                f"the solver returned a portfolio worth {float(nxt.value):.6g}, not more than {float(cur.value):.6g}: "
                "a numerical tolerance; report this call"
            )
        rows.append(_row(w, nxt.total, nxt, cur, rows[-1]["frame"], True))
        cur = nxt
    else:
        raise AllocatorError(f"more than {limit} breakpoints between {lo} and {top}; narrow the range or raise limit")
    df = pd.DataFrame(rows)
    df.attrs["ids"] = ids
    return df


def _row(
    w: Engine, frame: int, o: Outcome, prev: Outcome | None, prev_frame: int | None, is_break: bool
) -> dict[str, Any]:
    ids = w.problem.ids
    enter = o.funded if prev is None else o.funded & ~prev.funded
    leave = np.zeros_like(o.funded) if prev is None else prev.funded & ~o.funded
    gain = float("nan") if prev is None else float(o.value - prev.value)
    marginal = (
        float("nan") if prev is None or prev_frame is None else float((o.value - prev.value) / (frame - prev_frame))
    )
    return {
        "frame": int(frame),
        "value": float(o.value),
        "gain": gain,
        "marginal": marginal,
        "granted": o.total,
        "n_funded": int(o.funded.sum()),
        "funded": "; ".join(ids[j] for j in np.flatnonzero(o.funded)),
        "enter": "; ".join(ids[j] for j in np.flatnonzero(enter)) if prev is not None else "",
        "leave": "; ".join(ids[j] for j in np.flatnonzero(leave)),
        "breakpoint": bool(is_break),
    }


def entry_frames(
    problem: Problem, breakpoints: pd.DataFrame | None = None, *, lo: int = 0, hi: int | None = None
) -> pd.DataFrame:
    """For each application, the first breakpoint frame at which it is funded, and whether
    it stays funded at every larger breakpoint.

    Columns: ``id``, ``enters_at`` (``<NA>``: never, in the range), ``stays``, ``leaves_at``
    (the first later breakpoint without it), ``funded_now`` (at the problem's frame).
    """
    import pandas as pd

    bp = frame_breakpoints(problem, lo, hi) if breakpoints is None else breakpoints
    sets = [set(s.split("; ")) if s else set() for s in bp["funded"]]
    frames = bp["frame"].tolist()
    now_idx = max((k for k, F in enumerate(frames) if problem.frame >= F), default=None)
    rows = []
    for a in problem.applications:
        first = next((k for k, s in enumerate(sets) if a.id in s), None)
        leave = None if first is None else next((k for k in range(first + 1, len(sets)) if a.id not in sets[k]), None)
        rows.append(
            {
                "id": a.id,
                "enters_at": None if first is None else frames[first],
                "stays": first is not None and leave is None,
                "leaves_at": None if leave is None else frames[leave],
                "funded_now": now_idx is not None and a.id in sets[now_idx],
            }
        )
    return pd.DataFrame(rows).astype({"enters_at": "Int64", "leaves_at": "Int64"})
