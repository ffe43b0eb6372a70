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
from hypothesis import given

from allocator import Application, Criterion, Problem, explain, rank_and_fund, solve
from allocator.analysis import explanations
from allocator.exceptions import AllocatorError, InputError
from tests.brute import enumerate_portfolios, portfolio_value
from tests.conftest import examples, problems

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


def _call(
    apps: list[tuple[str, int, float]], frame: int, rules: list[dict[str, object]] | None = None, **options: object
) -> Problem:
    return Problem(
        frame=frame,
        criteria=[Criterion(name="g", weight=1, scale_max=1)],
        applications=[Application(id=i, requested=r, scores={"g": s}) for i, r, s in apps],
        rules=rules or [],
        options=options,
    )


def test_lists_of_several_applications() -> None:
    """A 100 (0.9) beats B 40, C 30 and D 30 together (0.3 + 0.25 + 0.25 = 0.8). Forcing B
    in brings C and D with it and pushes A out; forcing A out brings all three in."""
    p = _call([("A", 100, 0.9), ("B", 40, 0.3), ("C", 30, 0.25), ("D", 30, 0.25)], 100)
    df = explain(p, max_grant=False)
    assert df["funded"].tolist() == [True, False, False, False]
    assert df["replaced_by"][0] == "B; C; D" and df["margin_down"][0] == pytest.approx(0.1)
    assert (df["displaces"][1], df["also_funded"][1]) == ("A", "C; D") and df["margin_up"][1] == pytest.approx(0.1)


@pytest.mark.parametrize("b", [0.5, 0.4])
def test_a_blocked_application_names_only_the_rules_that_alone_keep_it_out(b: float) -> None:
    """A (0.4), B and C (0.6) fit together; at most one of A and B, at most one of B and C.
    A and C (1.0) are funded. Without "B or C" alone, B and C are worth 0.6 + b >= 1.0: B
    would be funded (ties included); without "A or B" alone, A and B (0.4 + b) are not
    enough. So B is blocked by "B or C" only, though funding it breaks both."""
    rules = [
        {"kind": "exclusive", "ids": ["A", "B"], "at_most": 1, "label": "A or B"},
        {"kind": "exclusive", "ids": ["B", "C"], "at_most": 1, "label": "B or C"},
    ]
    p = _call([("A", 30, 0.4), ("B", 30, b), ("C", 30, 0.6)], 100, rules)
    e = explanations(p, max_grant=False)[1]
    assert (e.reason.value, e.rules) == ("blocked_by_rule", ("B or C",))
    assert e.margin_up == Fraction(1) - Fraction(repr(b))  # 1.0 - B alone


def test_two_rules_that_each_keep_an_application_out_are_joined() -> None:
    """B (0.5) is kept out by two exclusions, each with an application funded instead (A
    0.4 and C 0.4 together 0.8); without either rule alone B would be funded with the
    other one (0.9 > 0.8)."""
    rules = [
        {"kind": "exclusive", "ids": ["A", "B"], "at_most": 1, "label": "A or B"},
        {"kind": "exclusive", "ids": ["B", "C"], "at_most": 1, "label": "B or C"},
    ]
    p = _call([("A", 30, 0.4), ("B", 30, 0.5), ("C", 30, 0.4)], 100, rules)
    df = explain(p, max_grant=False)
    assert df["reason"][1] == "blocked_by_rule" and df["rules"][1] == "A or B; B or C"


def test_partial_margin_down_by_hand() -> None:
    """Frame 100, steps of 10: A asks 150 (0.9), B 100 (0.5). A gets 100 (worth 0.6). Valued
    at 0.9 - d, A's best portfolio is 100 to A while (0.9 - d) / 150 > 0.5 / 100, else 10 to A
    and 90 to B; both are worth 0.5 (B alone, A out) at d = 0.15: margin_down 3/20."""
    p = _call([("A", 150, 0.9), ("B", 100, 0.5)], 100, partial=True, step=10)
    a = explanations(p, max_grant=False)[0]
    assert a.granted == 100 and a.reason.value == "funded_partially"
    assert a.margin_down == Fraction(3, 20)
    assert a.min_amount == 10 and explanations(p, max_grant=False)[1].min_amount == 10


def test_a_grant_of_one_krone_is_funded() -> None:
    p = _call([("A", 1, 0.9), ("B", 100, 0.5)], 100)
    e = explanations(p, max_grant=False)
    assert e[0].funded and e[0].margin_down == Fraction(9, 10) - Fraction(1, 2)  # without A: B alone
    assert e[1].margin_up is not None and e[0].min_amount == 1


def test_only_the_criteria_below_their_threshold_are_named() -> None:
    """g is below its threshold; h sits exactly on its own, and the total exactly on the
    total threshold: neither is named."""
    crit = [
        Criterion(name="g", weight=1, scale_max=10, threshold=3),
        Criterion(name="h", weight=1, scale_max=10, threshold=4),
    ]
    apps = [
        Application(id="A", requested=10, scores={"g": 2, "h": 4}),
        Application(id="B", requested=10, scores={"g": 9, "h": 9}),
    ]
    p = Problem(frame=10, criteria=crit, applications=apps, options={"min_total_score": 0.6})
    e = explanations(p, max_grant=False)[0]
    assert (e.detail, e.detail_nb) == ("g scored 2, below the threshold 3", "g fikk 2, under terskelen 3")


def test_when_nothing_is_funded_the_margins_down_are_empty_floats() -> None:
    p = _call([("A", 200, 0.9), ("B", 300, 0.5)], 100)
    df = explain(p, max_grant=False)
    assert df["funded"].tolist() == [False, False] and str(df["margin_down"].dtype) == "float64"
    assert df["margin_down"].isna().all()


def test_to_frame_defaults_and_the_name_in_errors() -> None:
    from allocator.analysis.explain import to_frame

    df = to_frame(explanations(P, max_grant=False))
    assert df["sentence"].tolist() == df["sentence_en"].tolist() and isinstance(df["score"][0], float)
    with pytest.raises(TypeError, match=r"^explain: expected an allocator\.Problem"):
        explain("applications.csv")  # type: ignore[arg-type]


@examples(30)
@given(problems(max_n=7, ties=True))
def test_the_portfolios_shown_keep_most_of_the_decision(p: Problem) -> None:
    """Of the best portfolios with an application forced in (out), the one shown keeps as
    many of the funded applications as any (brute force over every portfolio)."""
    sol = solve(p)
    funded = {i for i, g in sol.grants.items() if g}
    ids = p.ids
    every = [(portfolio_value(p, g), {ids[k] for k, x in enumerate(g) if x}) for g in enumerate_portfolios(p)]
    for e in explanations(p, sol, max_grant=False):
        if e.reason.value in ("outranked",):
            best = max(v for v, s in every if e.id in s)
            keep = max(len(s & funded) for v, s in every if e.id in s and v == best)
            assert len(funded) - len(e.displaces) == keep, e.id
        elif e.funded and e.margin_down is not None:
            best = max(v for v, s in every if e.id not in s)
            keep = max(len(s & funded) for v, s in every if e.id not in s and v == best)
            others = {i for i in funded if i != e.id}
            shown = [s for v, s in every if e.id not in s and v == best and s - funded == set(e.replaced_by)]
            assert any(len(s & others) == keep for s in shown), e.id


def test_of_equal_alternatives_the_one_keeping_most_of_the_decision_is_shown() -> None:
    """Scale 0-3, frame 40. A3 (20 kr, 1), A4 (10, 2/3) and A5 (10, 1/3) are funded (2;
    A6 ties with A5 and loses on the id).
    * A0 (20, 1/3) forced in: A0 + A3 and A0 + A4 + A5 are both worth 4/3; the second keeps
      two of the three, so A0 would push out A3 only (margin_up 2 - 4/3 = 2/3).
    * A4 forced out: A3 + A2 and A3 + A5 + A6 are both worth 5/3; the second keeps A3 and
      A5, so A4 would be replaced by A6.
    * In the first call, A0 (20, 1) forced out: A3 + A6 and A4 + A6 + A1 are both worth 2;
      the second keeps A1 and A6: replaced by A4."""
    crit = [Criterion(name="g", weight=1, scale_max=3)]

    def call(data: list[tuple[int, int]], frame: int) -> Problem:
        apps = [Application(id=f"A{k}", requested=r, scores={"g": s}) for k, (r, s) in enumerate(data)]
        return Problem(frame=frame, criteria=crit, applications=apps)

    p = call([(20, 1), (30, 2), (20, 2), (20, 3), (10, 2), (10, 1), (10, 1)], 40)
    e = {x.id: x for x in explanations(p, max_grant=False)}
    assert sorted(i for i, x in e.items() if x.funded) == ["A3", "A4", "A5"]
    assert (e["A0"].displaces, e["A0"].also_funded, e["A0"].margin_up) == (("A3",), (), Fraction(2, 3))
    assert (e["A4"].replaced_by, e["A4"].margin_down) == (("A6",), Fraction(1, 3))
    q = call([(20, 3), (10, 1), (30, 2), (30, 3), (20, 2), (30, 1), (10, 3)], 40)
    e = {x.id: x for x in explanations(q, max_grant=False)}
    assert sorted(i for i, x in e.items() if x.funded) == ["A0", "A1", "A6"]
    assert (e["A0"].replaced_by, e["A0"].margin_down) == (("A4",), Fraction(1, 3))


def test_a_tie_is_explained_with_the_call_s_tie_break() -> None:
    """A and B are worth the same and one fits: the sentences name the rule that chose A
    (green, then the grant, then the id), in both languages."""
    p = Problem(
        frame=50,
        criteria=[Criterion(name="green", weight=1, scale_max=10)],
        applications=[Application(id=i, requested=50, scores={"green": 5}) for i in ("A", "B")],
    )
    rule_en = "higher total green score, then lower total grant, then smaller application id"
    a, b = explanations(p)
    assert (
        a.sentence_en
        == f"Funded (NOK 50): it ties with another portfolio of equal value, and the tie-break ({rule_en}) chose it."
    )
    assert (
        b.sentence_en
        == f"Not funded: it ties with the chosen portfolio, and the tie-break ({rule_en}) chose the other."
    )
    assert (
        "høyere samlet poengsum for green, deretter lavere samlet tilskudd, deretter lavere søknadsnummer"
        in a.sentence_nb
    )


def test_the_time_limit_reaches_every_solve() -> None:
    """explain(time_limit=7.5) on a call with rules (every question an integer program): each
    solver run, the solve of the call included, is limited to 7.5 s."""
    from allocator.optimize.backends.highs import HighsBackend

    rules = [{"kind": "exclusive", "ids": ["A", "B"], "at_most": 1, "label": "A or B"}]
    p = _call([("A", 30, 0.4), ("B", 30, 0.5), ("C", 30, 0.4)], 100, rules)
    seen: list[float | None] = []
    real = HighsBackend.solve

    def spy(self: HighsBackend, **k: object) -> object:
        seen.append(k["time_limit"])  # type: ignore[arg-type]
        return real(self, **k)  # type: ignore[arg-type]

    from allocator.optimize.engine import Engine

    engines: list[object] = []
    of = Engine.of

    def spy_of(*a: object, **k: object) -> Engine:
        engines.append(k.get("time_limit"))
        return of(*a, **k)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(HighsBackend, "solve", spy)
        mp.setattr(Engine, "of", staticmethod(spy_of))
        explain(p, time_limit=7.5, threads=1)
        n = len(seen)
        explain(p, time_limit=7.5, threads=2)
    assert n > 3 and all(t is not None and 0 < t <= 7.5 for t in seen), seen
    assert len(engines) >= 3 and all(t == 7.5 for t in engines), engines  # one engine per thread


def test_refusals_word_for_word() -> None:
    infeasible = _call([("A", 30, 0.4), ("B", 30, 0.5)], 100, [{"kind": "count", "min": 3, "label": "three"}])
    sol = solve(infeasible, raise_on_failure=False)
    with pytest.raises(AllocatorError) as info:
        explanations(infeasible, sol)
    assert str(info.value) == "the solution has status infeasible: there is no portfolio to explain"
    feasible = solve(_call([("A", 30, 0.4), ("B", 30, 0.5)], 100))
    with pytest.raises(AllocatorError) as info:
        explanations(infeasible, feasible)
    assert str(info.value) == (
        "the solution's value 0.9 is not the optimum (none); explain needs an optimal solution: "
        "pass solve(problem)'s solution, or none"
    )
    with pytest.raises(AllocatorError) as info:
        explanations(P, solve(P.model_copy(update={"applications": P.applications[:2]})))
    assert str(info.value) == (
        "the solution is for other applications than the problem (2 decisions for 5 applications); "
        "pass solve(problem)'s solution"
    )


def test_a_wrong_time_limit_is_refused_with_or_without_a_solution() -> None:
    sol = solve(P)
    for call in (lambda: explanations(P, sol, time_limit=-1), lambda: explain(P, sol, time_limit=-1)):
        with pytest.raises(InputError, match=r"^time_limit -1 must be a positive number of seconds"):
            call()


def test_explanations_names_itself_when_given_something_else() -> None:
    with pytest.raises(TypeError, match=r"^explanations: expected an allocator\.Problem"):
        explanations("applications.csv")  # type: ignore[arg-type]
