"""explain() on calls small enough to work out by hand: every column, every reason, the
Norwegian details, the exact values and the refusals.

The call: frame 100; A asks 60 (weighted score 0.9), B and C 50 (0.6 and 0.5), D 10 (0.25,
under the threshold 3 on g and the total threshold 0.3), E 120 (0.8, more than the frame).
The optimum funds B and C (1.1; A fits with nothing else: 0.9).

* A (outranked): with A forced in, the best is A alone (0.9): margin_up 1.1 - 0.9 = 0.2,
  and B and C would leave. At a request of 50, A and B (1.5) beat B and C; at 51 A fits with
  nothing else (0.9 < 1.1): max_grant 50.
* B: without it the best is A alone (0.9): margin_down 0.2, replaced by A. At a request of 50
  it is funded (with C, 1.1); at 51 it fits only alone (0.6 < 0.9): max_grant 50. C likewise.
* D is ineligible; E too large: its request exceeds the frame. E with a request of 50 and B
  (1.4) would beat B and C; at 51 it fits alone (0.8 < 1.1): max_grant 50.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from allocator import Application, Criterion, Problem, explain, rank_and_fund, solve
from allocator.analysis import explanations
from allocator.exceptions import AllocatorError

P = Problem(
    frame=100,
    criteria=[Criterion(name="g", weight=1, scale_max=10, threshold=3)],
    applications=[
        Application(id="A", title="Alpha", requested=60, scores={"g": 9}),
        Application(id="B", requested=50, scores={"g": 6}),
        Application(id="C", requested=50, scores={"g": 5}),
        Application(id="D", requested=10, scores={"g": 2.5}),
        Application(id="E", requested=120, scores={"g": 8}),
    ],
    options={"min_total_score": 0.3},
)

COLUMNS = [
    "id", "title", "funded", "requested", "granted", "score", "reason", "rules", "margin_up", "margin_down",
    "max_grant", "displaces", "also_funded", "replaced_by", "detail", "sentence", "sentence_en", "sentence_nb",
]  # fmt: skip


def test_every_column_by_hand() -> None:
    df = explain(P)
    assert list(df.columns) == COLUMNS
    assert df["id"].tolist() == ["A", "B", "C", "D", "E"] and df["title"].tolist() == ["Alpha", "", "", "", ""]
    assert df["funded"].tolist() == [False, True, True, False, False]
    assert df["requested"].tolist() == [60, 50, 50, 10, 120] and df["granted"].tolist() == [0, 50, 50, 0, 0]
    assert df["score"].tolist() == pytest.approx([0.9, 0.6, 0.5, 0.25, 0.8])
    assert df["reason"].tolist() == ["outranked", "funded", "funded", "ineligible", "too_large"]
    assert df["margin_up"].tolist()[0] == pytest.approx(0.2) and all(math.isnan(v) for v in df["margin_up"][1:])
    down = df["margin_down"].tolist()
    assert (
        math.isnan(down[0]) and down[1:3] == pytest.approx([0.2, 0.2]) and math.isnan(down[3]) and math.isnan(down[4])
    )
    assert df["max_grant"].tolist()[:3] == [50, 50, 50] and df["max_grant"].isna().tolist()[3]
    assert df["max_grant"].tolist()[4] == 50
    assert df["displaces"].tolist() == ["B; C", "", "", "", ""] and df["also_funded"].tolist() == [""] * 5
    assert df["replaced_by"].tolist() == ["", "A", "A", "", ""]
    assert df["rules"].tolist() == [""] * 5
    below = "g scored 2.5, below the threshold 3; weighted score 0.25 is below the threshold 0.3"
    assert df["detail"].tolist() == ["", "", "", below, "request"]
    assert df["sentence"].tolist() == df["sentence_en"].tolist()
    assert str(df["requested"].dtype) == "int64" and str(df["granted"].dtype) == "int64"
    assert str(df["funded"].dtype) == "bool" and str(df["max_grant"].dtype) == "Int64"


def test_the_details_in_norwegian_use_decimal_commas() -> None:
    d = explanations(P)[3]
    assert d.detail_nb == "g fikk 2,5, under terskelen 3; vektet poengsum 0,25 er under terskelen 0,3"
    assert explain(P, lang="nb")["sentence"].tolist() == explain(P)["sentence_nb"].tolist()


def test_exact_values() -> None:
    df = explain(P, exact=True, max_grant=False)
    assert df["score"].tolist() == [Fraction(9, 10), Fraction(3, 5), Fraction(1, 2), Fraction(1, 4), Fraction(4, 5)]
    assert df["margin_up"].tolist() == [Fraction(1, 5), None, None, None, None]
    assert df["margin_down"].tolist() == [None, Fraction(1, 5), Fraction(1, 5), None, None]
    assert df["max_grant"].isna().all()  # not asked for


def test_a_minimum_above_the_frame_is_too_large() -> None:
    p = P.with_options(partial=True, step=10).model_copy(
        update={"applications": (*P.applications[:4], P.applications[4].model_copy(update={"minimum": 110}))}
    )
    e = explanations(p, max_grant=False)[4]
    assert (e.reason.value, e.detail) == ("too_large", "minimum")


def test_locks_and_rules_that_require_an_application() -> None:
    """Frame 100; A 40 (0.9) locked out, D 30 (0.4) locked in; C 30 (0.5) required by a rule
    that names no lock (at least one of C and X, X ineligible); B 30 (0.6) fits beside them.
    Locks get no margins (inf / NaN in the table, None exactly); forcing C out is infeasible,
    so it has no margin_down either."""
    crit = [Criterion(name="g", weight=1, scale_max=10, threshold=3)]
    apps = [
        Application(id="A", requested=40, scores={"g": 9}),
        Application(id="B", requested=30, scores={"g": 6}),
        Application(id="C", requested=30, scores={"g": 5}),
        Application(id="D", requested=30, scores={"g": 4}),
        Application(id="X", requested=10, scores={"g": 1}),
    ]
    rules = [
        {"kind": "must_not_fund", "ids": ["A"], "label": "not A"},
        {"kind": "must_fund", "ids": ["D"], "label": "lock D"},
        {"kind": "count", "ids": ["C", "X"], "min": 1, "label": "C or X"},
    ]
    p = Problem(frame=100, criteria=crit, applications=apps, rules=rules)
    df = explain(p, max_grant=False)
    assert df["reason"].tolist() == ["locked_out", "funded", "funded", "locked_in", "ineligible"]
    assert df["granted"].tolist() == [0, 30, 30, 30, 0]
    assert math.isnan(df["margin_up"][0]) and df["margin_down"].tolist()[2:4] == [math.inf, math.inf]
    assert df["margin_down"][1] == pytest.approx(0.6)  # 1.5 with B; without it C and D, 0.9
    exact = explain(p, exact=True, max_grant=False)
    assert exact["margin_up"][0] is None and exact["margin_down"].tolist()[2:4] == [None, None]


def test_refusals_name_the_problem() -> None:
    with pytest.raises(AllocatorError, match=r"^the solution's value 0\.9 is not the optimum \(1\.1\); explain needs"):
        explanations(P, rank_and_fund(P))  # A alone: A 60 leaves too little for B or C
    other = solve(P.model_copy(update={"applications": P.applications[:2]}))
    with pytest.raises(AllocatorError, match=r"\(2 decisions for 5 applications\); pass solve\(problem\)'s solution"):
        explanations(P, other)
