"""The frame curve and its breakpoints, against brute force and independent solves."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given

from allocator import AllocatorError, Application, Criterion, Options, Problem, solve
from allocator.analysis.frontier import entry_frames, frame_breakpoints, frame_curve
from allocator.exceptions import PolicyError
from allocator.rules import FundedCount, GroupLimit
from tests.brute import (
    Feasible,
    best_value,
    enumerate_portfolios,
    portfolio_value,
    rank_and_fund_grants,
    weighted_score,
)
from tests.conftest import examples, problems


def staircase(p: Problem, hi: int, feasible: Feasible | None = None) -> list[tuple[int, Fraction]]:
    """Brute force: (frame, value) at every frame in (0, hi] where the best value rises."""
    per_krone = [weighted_score(p, a) / a.requested for a in p.applications]

    def value(g: tuple[int, ...]) -> Fraction:
        return sum((c * x for c, x in zip(per_krone, g, strict=True) if x), Fraction(0))

    points = sorted((sum(g), value(g)) for g in enumerate_portfolios(p.with_frame(max(hi, 1)), feasible))
    out: list[tuple[int, Fraction]] = []
    best: Fraction | None = None
    for cost, value in points:
        if best is None or value > best:
            if out and out[-1][0] == cost:
                out[-1] = (cost, value)
            else:
                out.append((cost, value))
            best = value
    return [(c, v) for c, v in out if c > 0]


def with_rules(p: Problem, rules: list) -> Problem:  # type: ignore[type-arg]
    return Problem(**{k: getattr(p, k) for k in ("frame", "criteria", "applications", "options")}, rules=rules)


def total(p: Problem) -> int:
    return sum(a.requested for a in p.applications)


@examples(20)
@given(problems(max_n=9, thresholds=True))
def test_breakpoints_equal_brute_force(p: Problem) -> None:
    bp = frame_breakpoints(p)
    hi = sum(a.requested for a in p.applications)
    expected = staircase(p, hi)
    got = bp[bp["breakpoint"]]
    assert list(got["frame"]) == [c for c, _ in expected]
    assert list(got["value"]) == [float(v) for _, v in expected]
    assert not bp["breakpoint"].iloc[0] and bp["frame"].iloc[0] == 0
    assert (np.diff(bp["value"]) > 0).all()
    # each row's portfolio costs its frame, is worth its value and is optimal there
    for _, row in got.iterrows():
        assert row["granted"] == row["frame"]


# The county's shape only (10 000 kr requests and steps) until the engine handles any
# amounts here: with a step of 12 345 kr and min_share 0.5, frame_breakpoints stops with
# "the solver returned a portfolio worth 0.00714286, not more than 0.00714286" (reported).
@examples(10)
@given(problems(max_n=4, partial=True, wide=False, frame_share=(0.3, 0.7)))
def test_breakpoints_partial_funding(p: Problem) -> None:
    hi = total(p)
    bp = frame_breakpoints(p, 0, hi)
    expected = staircase(p, hi)
    got = bp[bp["breakpoint"]]
    assert list(zip(got["frame"], got["value"], strict=True)) == [(c, float(v)) for c, v in expected]


@examples(20)
@given(problems(max_n=8))
def test_frame_curve_equals_independent_solves(p: Problem) -> None:
    curve = frame_curve(p, n=9)
    assert (np.diff(curve["value"]) >= 0).all() and (np.diff(curve["frame"]) > 0).all()
    assert curve["current"].sum() == 1
    for _, row in curve.iterrows():
        F = int(row["frame"])
        assert row["value"] == (float(best_value(p.with_frame(F))) if F else 0.0)
        # the rank-and-fund column against the hand-coded practice (tests.brute), not the library's
        by_hand = float(portfolio_value(p, rank_and_fund_grants(p.with_frame(F))[0])) if F else 0.0
        assert row["rank_and_fund"] == pytest.approx(by_hand, rel=1e-12, abs=1e-15)
    marg = np.diff(curve["value"]) / np.diff(curve["frame"])
    assert np.allclose(curve["marginal"].iloc[1:], marg, rtol=1e-12, atol=0)


def test_example_curve_and_breakpoints_are_exact() -> None:
    from allocator.data import load_example

    p = load_example()
    curve = frame_curve(p)
    for _, row in curve.iterrows():
        F = int(row["frame"])
        if F:
            assert row["value"] == pytest.approx(solve(p.with_frame(F), tie_break=False).objective, abs=1e-12)
    assert (curve["value"] >= curve["rank_and_fund"] - 1e-12).all()
    bp = frame_breakpoints(p, 1_500_000, 3_000_000)
    rows = bp[bp["breakpoint"]]
    near = np.argsort(np.abs(rows["frame"].to_numpy() - p.frame))[:6]
    sample = sorted(set(near.tolist()) | set(range(0, len(rows), max(1, len(rows) // 6))))
    for k in sample:
        F = int(rows["frame"].iloc[k])
        at = solve(p.with_frame(F), tie_break=False).objective
        below = solve(p.with_frame(F - 1), tie_break=False).objective
        assert at == pytest.approx(rows["value"].iloc[k], abs=1e-12) and below is not None and below < at - 1e-9
        if k + 1 < len(rows):  # flat up to the next breakpoint
            nxt = int(rows["frame"].iloc[k + 1])
            assert solve(p.with_frame(nxt - 1), tie_break=False).objective == pytest.approx(at, abs=1e-12)


@examples(10)
@given(problems(max_n=8))
def test_breakpoints_with_a_rule(p: Problem) -> None:
    limit = max(1, len(p.applications) // 2)
    q = with_rules(p, [FundedCount(max=limit, label="count")])

    def ok(g: dict[str, int]) -> bool:
        return sum(v > 0 for v in g.values()) <= limit

    bp = frame_breakpoints(q)
    got = bp[bp["breakpoint"]]
    expected = staircase(q, total(q), ok)
    assert list(zip(got["frame"], got["value"], strict=True)) == [(c, float(v)) for c, v in expected]


def test_frame_dependent_rules(small_problem: Problem) -> None:
    q = with_rules(small_problem, [GroupLimit(ids=["A-1", "B-4"], max_share=0.5, label="half")])
    with pytest.raises(PolicyError, match="depend on the frame"):
        frame_breakpoints(q)
    curve = frame_curve(q, frames=[200_000, 500_000, 800_000])
    for _, row in curve.iterrows():
        assert row["value"] == pytest.approx(solve(q.with_frame(int(row["frame"]))).objective, abs=1e-12)


@examples(10)
@given(problems(max_n=7))
def test_entry_frames(p: Problem) -> None:
    bp = frame_breakpoints(p)
    entry = entry_frames(p, bp)
    assert list(entry["id"]) == p.ids
    for _, row in entry.iterrows():
        if pd.isna(row["enters_at"]):
            assert not any(row["id"] in s.split("; ") for s in bp["funded"])
            continue
        F = int(row["enters_at"])
        # funded in an optimal portfolio at that frame: the forced-in optimum equals the optimum
        pf = p.with_frame(F)
        assert best_value(pf, lambda g, i=row["id"]: g[i] > 0) == best_value(pf)


def test_bad_ranges(small_problem: Problem) -> None:
    with pytest.raises(AllocatorError, match="hi"):
        frame_curve(small_problem, lo=500_000, hi=100_000)
    with pytest.raises(AllocatorError, match="whole, non-negative"):
        frame_curve(small_problem, frames=[-5])
    with pytest.raises(AllocatorError, match="at least 2"):
        frame_curve(small_problem, n=1)
    with pytest.raises(AllocatorError, match="hi"):
        frame_breakpoints(small_problem, 500_000, 100_000)


def test_plot(small_problem: Problem) -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from allocator.report.plots import plot_frame_curve

    curve = frame_curve(small_problem, n=8)
    ax = plot_frame_curve(curve, breakpoints=frame_breakpoints(small_problem))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "rank and fund down the list" in labels and "optimal portfolio (exact)" in labels
    ax2 = plot_frame_curve(curve)
    assert len(ax2.lines) >= 2
    plt.close("all")
    with pytest.raises(AllocatorError, match="no column"):
        plot_frame_curve(curve.drop(columns="value"))


def test_a_share_rule_redundant_at_two_frames_still_counts() -> None:
    """Issue 9, defect 6: a share-of-frame rule redundant at F and 2F+1 binds in between."""
    from allocator import solve
    from allocator.rules import GroupLimit

    p = Problem(
        frame=600_000,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[
            Application(id="V1", requested=100_000, scores={"g": 9}, attributes={"Fylkesdel": "Vestfold"}),
            Application(id="T1", requested=100_000, scores={"g": 5}, attributes={"Fylkesdel": "Telemark"}),
            Application(id="T2", requested=100_000, scores={"g": 4}, attributes={"Fylkesdel": "Telemark"}),
        ],
        rules=[GroupLimit(per="Fylkesdel", max_share="40 %")],
    )
    curve = frame_curve(p, frames=[0, 200_000, 300_000])
    expected = [0.0] + [solve(p.with_frame(F)).objective for F in (200_000, 300_000)]
    assert curve["value"].tolist() == pytest.approx(expected, abs=1e-12) == [0.0, 0.0, 1.4]
    floors = Problem(
        **{k: getattr(p, k) for k in ("frame", "criteria", "applications")},
        rules=[GroupLimit(per="Fylkesdel", min_share="10 %")],
    )
    assert frame_curve(floors, frames=[0])["value"].tolist() == [0.0]  # nothing funded meets 10 % of 0


def test_breakpoints_under_partial_funding() -> None:
    """Issue 9, defect 7: the cheapest portfolio worth strictly more must be worth more."""
    p = Problem(
        frame=220_000,
        criteria=[Criterion(name="g", weight=1, scale_max=10**6)],
        applications=[
            Application(id="A1", requested=130_000, scores={"g": 78425}),
            Application(id="A2", requested=140_000, minimum=100_000, scores={"g": 54337}),
        ],
        options=Options(partial=True, step=20_000),
    )
    bp = frame_breakpoints(p)
    assert bp["frame"].is_monotonic_increasing and bp["value"].is_monotonic_increasing
    assert (bp["gain"].iloc[1:] > 0).all()
    for F, v in zip(bp["frame"], bp["value"], strict=True):  # each is the optimum at its frame
        assert v == pytest.approx(float(best_value(p.with_frame(max(F, 1)))) if F else 0.0, abs=1e-12)
