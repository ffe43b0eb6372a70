"""Rank-and-fund with the call's rules, against a walk down the list written from its
documentation with the independent rule oracle (:mod:`tests.oracle_rules`), and by hand.

The documented practice (:mod:`allocator.analysis.baseline`): the eligible applications in
rank order (score, then the smaller request, then the id); each one gets the largest grant
that fits in what is left and breaks no rule (partial funding: the largest of its levels;
else its request); the list is gone down again while a skipped application has become
possible. An application skipped although a grant fitted is blocked by the rules that grant
would break. Here the calls are those where funding nothing breaks no rule (caps, exclusions,
co-financing, de minimis, dependencies, pots, years; floors met at zero), so that "break a rule
further" is "break a rule", which the oracle decides; floors and locks are checked by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given

from allocator import Application, Criterion, Problem, Reason, rank_and_fund
from tests.brute import grant_levels, ineligibility, portfolio_value, rank_and_fund_grants
from tests.conftest import examples
from tests.oracle_rules import RuleOracle
from tests.rules_strategies import ruled_problems

UPPER = (
    "max_grant",
    "co_financing",
    "de_minimis",
    "must_not_fund",
    "exclusive",
    "requires",
    "pots",
    "multi_year",
    "group",
    "count",
)
"""Kinds that funding nothing can satisfy (group and count when drawn without a floor)."""


def _walk(p: Problem) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Grants by id and, for each application skipped although a grant fitted, the labels
    of the rules that grant would break (the first time it was skipped)."""
    oracle = RuleOracle(p)
    _, ranked = rank_and_fund_grants(p)  # the ranking, by hand (tests.brute)
    grants = {a.id: 0 for a in p.applications}
    blocked: dict[str, list[str]] = {}
    changed = True
    while changed:
        changed = False
        for i in ranked:
            if grants[i]:
                continue
            app = p.application(i)
            left = p.frame - sum(grants.values())
            amounts = sorted(grant_levels(p, app)[1:], reverse=True)
            why: list[str] = []
            for amount in amounts:
                if amount > left:
                    continue
                broken = oracle.broken({**grants, i: amount})
                if not broken:
                    grants[i] = amount
                    changed = True
                    blocked.pop(i, None)
                    break
                why += broken
            else:
                if why:
                    blocked.setdefault(i, list(dict.fromkeys(why)))
    return grants, blocked


def _label(entry: str) -> str:
    """``"label [part]"`` -> ``"label"`` (a part is never empty)."""
    if entry.endswith("]") and " [" in entry:
        label, part = entry[:-1].split(" [", 1)
        assert part, entry
        return label
    return entry


def _check_against_walk(p: Problem) -> None:
    grants, blocked = _walk(p)
    sol = rank_and_fund(p)
    assert sol.grants == grants
    assert sol.total_granted == sum(grants.values()) and sol.frame_left == p.frame - sol.total_granted
    assert sol.n_funded == sum(1 for g in grants.values() if g)
    assert sol.objective == pytest.approx(float(portfolio_value(p, grants)), rel=1e-12, abs=1e-15)
    assert sol.message == "rank by weighted score, fund down the list"  # nothing is left broken
    assert (sol.problem_name, sol.currency, sol.solver) == (p.name, p.currency, "rank-and-fund")
    for d in sol.decisions:
        app = p.application(d.id)
        assert d.eligible == (not ineligibility(p, app))
        if d.granted == app.requested:
            assert d.reason is Reason.FUNDED and d.binding_rules == ()
            assert d.note == f"funded: rank {d.rank}, and it fitted in what was left"
        elif d.granted:
            assert d.reason is Reason.FUNDED_PARTIALLY and d.binding_rules == ()
            assert d.note == f"funded in part: rank {d.rank}, the largest grant that fitted and broke no rule"
        elif not d.eligible:
            assert d.reason is Reason.INELIGIBLE and d.binding_rules == ()
        elif d.id in blocked:
            assert d.reason is Reason.BLOCKED_BY_RULE
            assert list(dict.fromkeys(_label(r) for r in d.binding_rules)) == blocked[d.id]
            names = ", ".join(repr(r) for r in d.binding_rules)
            assert d.note == f"rank {d.rank}: it fitted in what was left, but funding it would break {names}"
        else:
            assert d.reason is Reason.OUTRANKED and d.binding_rules == ()
            assert d.note == f"rank {d.rank}: no longer fitted in what was left"


@examples(60)
@given(ruled_problems(UPPER, partial=False, max_rules=3))
def test_rank_and_fund_with_rules_walks_the_list_as_documented(p: Problem) -> None:
    assume(RuleOracle(p)({}))
    _check_against_walk(p)


@examples(40)
@given(ruled_problems(UPPER, partial=True, max_rules=3))
def test_rank_and_fund_with_rules_gives_the_largest_level_that_breaks_nothing(p: Problem) -> None:
    assume(RuleOracle(p)({}))
    _check_against_walk(p)


# ------------------------------------------------------------------------------ by hand
CRIT = [Criterion(name="g", weight=1, scale_max=10)]


def _call(apps: list[Application], rules: list[dict[str, object]], frame: int = 1_000, **options: object) -> Problem:
    return Problem(frame=frame, criteria=CRIT, applications=apps, rules=rules, options=options)


def test_a_dependency_on_an_application_further_down_is_funded_on_the_second_walk() -> None:
    apps = [
        Application(id="B", requested=300, scores={"g": 9}),
        Application(id="A", requested=300, scores={"g": 5}),
        Application(id="C", requested=300, scores={"g": 4}),
    ]
    p = _call(apps, [{"kind": "requires", "ids": ["B"], "requires": ["A"], "label": "B needs A"}], frame=900)
    sol = rank_and_fund(p)
    assert sol.grants == {"B": 300, "A": 300, "C": 300}  # B skipped, A and C funded, then B on the second walk
    assert sol.decision("B").reason is Reason.FUNDED and sol.decision("B").binding_rules == ()


def test_a_grant_that_breaks_a_rule_by_half_a_krone_is_refused_and_the_rule_named_with_its_part() -> None:
    apps = [
        Application(id="A", requested=501, total_cost=1_001, applicant="Org A", scores={"g": 9}),
        Application(id="B", requested=400, total_cost=1_000, applicant="Org B", scores={"g": 5}),
    ]
    co = {"kind": "co_financing", "share": 0.5, "label": "half"}  # A may get 500.5: 501 breaks it by 0.5
    sol = rank_and_fund(_call(apps, [co]))
    assert sol.grants == {"A": 0, "B": 400}
    a = sol.decision("A")
    assert a.reason is Reason.BLOCKED_BY_RULE and a.binding_rules == ("half [A]",)
    assert a.note == "rank 1: it fitted in what was left, but funding it would break 'half [A]'"


def test_a_rule_without_parts_is_named_by_its_label_alone() -> None:
    apps = [
        Application(id="A", requested=300, scores={"g": 9}),
        Application(id="B", requested=300, scores={"g": 5}),
    ]
    sol = rank_and_fund(_call(apps, [{"kind": "exclusive", "ids": ["A", "B"], "at_most": 1, "label": "one"}]))
    assert sol.grants == {"A": 300, "B": 0}
    assert sol.decision("B").binding_rules == ("one",)


def test_with_partial_funding_the_largest_level_under_a_cap_that_fits_is_granted() -> None:
    apps = [
        Application(id="A", requested=500, scores={"g": 9}),
        Application(id="B", requested=700, scores={"g": 5}),
    ]
    cap = {"kind": "max_grant", "amount": 320, "label": "cap"}  # every application: at most 320
    sol = rank_and_fund(_call(apps, [cap], partial=True, step=100))
    # A: 500 and 400 break the cap, 300 fits; B: 700 does not fit in 700 left? it does, but
    # breaks the cap, as do 600..400; 300 fits and breaks nothing
    assert sol.grants == {"A": 300, "B": 300}
    assert sol.decision("A").reason is Reason.FUNDED_PARTIALLY
    assert sol.decision("A").note == "funded in part: rank 1, the largest grant that fitted and broke no rule"


def test_with_partial_funding_levels_larger_than_what_is_left_are_passed_over() -> None:
    apps = [
        Application(id="A", requested=600, scores={"g": 9}),
        Application(id="B", requested=700, scores={"g": 5}),
    ]
    p = _call(apps, [{"kind": "must_not_fund", "ids": ["A"], "label": "not A"}], frame=450, partial=True, step=100)
    sol = rank_and_fund(p)
    assert sol.grants == {"A": 0, "B": 400}  # 700, 600 and 500 do not fit in 450
    assert sol.decision("A").binding_rules == ("not A",)


def test_a_lock_with_an_amount_is_funded_at_that_amount_first() -> None:
    apps = [
        Application(id="A", requested=500, scores={"g": 9}),
        Application(id="B", requested=500, scores={"g": 1}),
    ]
    lock = {"kind": "must_fund", "ids": ["B"], "amount": 200, "label": "lock B"}
    sol = rank_and_fund(_call(apps, [lock], frame=600, partial=True, step=100))
    assert sol.grants == {"A": 400, "B": 200}  # B's lock first (200, not its largest level), then A


def test_floors_missed_at_the_end_of_the_list_are_reported_in_the_message() -> None:
    apps = [
        Application(id="A", requested=600, category="cluster", scores={"g": 9}),
        Application(id="B", requested=600, category="network", scores={"g": 5}),
    ]
    floor = {"kind": "count", "category": ["network"], "min": 1, "label": "a network"}
    cap = {"kind": "max_grant", "amount": 600, "label": "cap"}
    sol = rank_and_fund(_call(apps, [floor, cap]))
    assert sol.grants == {"A": 600, "B": 0}
    assert sol.message == (
        "rank by weighted score, fund down the list; rules still broken at the end of the list: a network"
    )
    two = {"kind": "count", "category": ["cluster"], "min": 2, "label": "two clusters"}
    sol = rank_and_fund(_call(apps, [floor, two]))
    assert sol.message.endswith("rules still broken at the end of the list: a network; two clusters")


def test_without_rules_the_list_is_walked_on_the_frame_alone() -> None:
    apps = [
        Application(id="A", requested=300, scores={"g": 9}),
        Application(id="B", requested=300, scores={"g": 5}),
    ]
    p = _call(apps, [{"kind": "exclusive", "ids": ["A", "B"], "at_most": 1}])
    assert rank_and_fund(p).grants == {"A": 300, "B": 0}  # the rules by default
    assert rank_and_fund(p, rules=False).grants == {"A": 300, "B": 300}


def test_scores_that_are_not_short_decimals_rank_exactly() -> None:
    # 0.1 + 0.2 is 0.30000000000000004: no short decimal, so the exact fractions rank
    apps = [
        Application(id="A", requested=300, scores={"g": 0.1 + 0.2}),
        Application(id="B", requested=300, scores={"g": 0.3}),
        Application(id="C", requested=200, scores={"g": 1 / 3}),
    ]
    sol = rank_and_fund(_call(apps, [], frame=500))
    assert [sol.decision(i).rank for i in "ABC"] == [2, 3, 1]
    assert sol.grants == {"A": 300, "B": 0, "C": 200}


def test_rank_and_fund_names_itself_when_given_something_else() -> None:
    with pytest.raises(TypeError, match=r"^rank_and_fund: expected an allocator.Problem, got str"):
        rank_and_fund("applications.csv")  # type: ignore[arg-type]


def test_a_rule_broken_by_a_billionth_of_a_krone_is_broken() -> None:
    apps = [
        Application(id="A", requested=1_000, scores={"g": 9}, attributes={"y1": 1e-12, "y2": 1 - 1e-12}),
        Application(id="B", requested=1_000, scores={"g": 5}, attributes={"y1": 0, "y2": 1}),
    ]
    years = {"kind": "multi_year", "frames": {"2023": 0, "2024": 2_000}, "columns": {"2023": "y1", "2024": "y2"}}
    sol = rank_and_fund(_call(apps, [{**years, "label": "years"}], frame=2_000))
    assert sol.grants == {"A": 0, "B": 1_000}  # A would put 0.000000001 kr on 2023, whose frame is 0
    assert sol.decision("A").binding_rules == ("years [2023]",)


def test_a_lock_whose_amount_does_not_fit_gets_the_largest_level_that_does() -> None:
    apps = [Application(id="A", requested=500, scores={"g": 9}), Application(id="B", requested=500, scores={"g": 1})]
    lock = {"kind": "must_fund", "ids": ["B"], "amount": 200, "label": "lock B"}
    sol = rank_and_fund(_call(apps, [lock], frame=150, partial=True, step=100))
    assert sol.grants == {"A": 0, "B": 100}  # 200 does not fit in 150; 100 does


def test_the_solution_carries_the_call_and_counts_a_grant_of_one_krone() -> None:
    apps = [Application(id="A", requested=1, scores={"g": 9}), Application(id="B", requested=5, scores={"g": 1})]
    p = Problem(frame=3, criteria=CRIT, applications=apps, name="Round 2", currency="EUR")
    sol = rank_and_fund(p)
    assert sol.grants == {"A": 1, "B": 0} and sol.n_funded == 1 and sol.frame_left == 2
    assert (sol.problem_name, sol.currency) == ("Round 2", "EUR")
    assert 0 < sol.runtime_s < 60  # a duration in seconds, not a clock reading
