"""Each kind of sentence of the diagnosis, worked out by hand on one small call.

The call: clusters C1 (200 000 kr, project cost 300 000) and C2 (100 000 kr, cost 400 000), a
network N1 (180 000 kr, cost 400 000, score 2); the frame 300 000 kr unless a case says
otherwise (then 1 000 000, out of the way). A column ``Pott`` puts the clusters in pot p1 and
the network in p2; columns ``Y1`` and ``Y2`` put a quarter of each grant in year y1, three
quarters in y2 (only the rules that name them read them). Where two applications could equally give way
(a lock on several, a floor met by either), the test accepts either: which one the solver
names is not part of the rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from allocator import Application, Criterion, Problem
from allocator.optimize.diagnose import diagnose
from allocator.rules import (
    BudgetPots,
    CoFinancing,
    Exclusive,
    FundedCount,
    GroupLimit,
    MaxGrant,
    MultiYear,
    MustFund,
    MustNotFund,
    Requires,
)

WIDE = 1_000_000


def call(*rules: Any, frame: int = 300_000, threshold: float | None = None) -> Problem:
    rows = [
        # id, request, category, project cost, score, pot
        ("C1", 200_000, "cluster", 300_000, 5, "p1"),
        ("C2", 100_000, "cluster", 400_000, 4, "p1"),
        ("N1", 180_000, "network", 400_000, 2, "p2"),
    ]
    apps = [
        Application(
            id=i,
            requested=r,
            category=c,
            total_cost=t,
            scores={"g": s},
            attributes={"Pott": pot, "Y1": 0.25, "Y2": 0.75},
        )
        for i, r, c, t, s, pot in rows
    ]
    crit = Criterion(name="g", weight=1, scale_max=7, threshold=threshold)
    return Problem(frame=frame, criteria=[crit], applications=apps, rules=list(rules))


def v(rule: str, kind: str, parts: tuple[str, ...], violation: float, unit: str, message: str) -> dict[str, Any]:
    return {
        "rule": rule,
        "kind": kind,
        "parts": parts,
        "violation": violation,
        "unit": unit,
        "resolves_all": True,
        "message": message,
    }


def found(p: Problem) -> list[dict[str, Any]]:
    d = diagnose(p)
    assert not d.feasible and d.irreducible
    assert d.solves >= 2 * len(d.violations) and 0 <= d.runtime_s < 60
    assert d.conflicting == tuple(x.rule for x in d.violations)
    return [x.model_dump() for x in d.violations]


def test_floors_and_the_frame() -> None:
    # clusters need 300 000 and a network 180 000, with 300 000 in all: with N1 funded only C2 fits
    p = call(
        GroupLimit(category="cluster", min_amount=300_000, label="clusters"),
        GroupLimit(category="network", min_count=1, label="a network"),
    )
    assert found(p) == [
        v(
            "clusters",
            "group",
            (),
            200_000,
            "kr",
            "the floor 'clusters' would have to come down by 200 000 kr (100 000 kr instead of 300 000 kr): "
            "it needs 180 000 kr more than the frame leaves after 'a network'",
        ),
        v(
            "a network",
            "group",
            (),
            1,
            "applications",
            "the floor 'a network' is 1 application short: it needs 180 000 kr more than the frame leaves after "
            "'clusters'",
        ),
        v(
            "frame",
            "frame",
            (),
            180_000,
            "kr",
            "the frame is 180 000 kr short: it would have to be 480 000 kr instead of 300 000 kr",
        ),
    ]
    assert str(diagnose(p)) == (
        "'clusters', 'a network' and the frame conflict (an irreducible set: loosen any one of them and the others "
        "can hold). Smallest change to each: the floor 'clusters' would have to come down by 200 000 kr (100 000 kr "
        "instead of 300 000 kr): it needs 180 000 kr more than the frame leaves after 'a network'; the floor 'a "
        "network' is 1 application short: it needs 180 000 kr more than the frame leaves after 'clusters'; the frame "
        "is 180 000 kr short: it would have to be 480 000 kr instead of 300 000 kr."
    )


def test_a_rule_that_cannot_hold_on_its_own() -> None:
    p = call(GroupLimit(category="network", min_amount=200_000, label="networks"), frame=WIDE)
    assert found(p) == [
        v(
            "networks",
            "group",
            (),
            20_000,
            "kr",
            "the floor 'networks' would have to come down by 20 000 kr (180 000 kr instead of 200 000 kr)",
        )
    ]
    assert str(diagnose(p)) == (
        "'networks' cannot hold on its own. Smallest change to each: the floor 'networks' would have to come down by "
        "20 000 kr (180 000 kr instead of 200 000 kr)."
    )


def test_two_rules_conflict() -> None:
    d = diagnose(call(MustFund(ids="N1", label="lock"), FundedCount(max=0, label="none"), frame=WIDE))
    assert str(d) == (
        "'lock' and 'none' conflict (an irreducible set: loosen any one of them and the others can hold). Smallest "
        "change to each: the lock 'lock' would have to be dropped: the other rules leave no room to fund it; the cap "
        "'none' would have to allow 1 application more (at most 1 instead of 0)."
    )


def test_caps_of_applications_and_of_kroner() -> None:
    assert found(call(MustFund(ids="N1", label="lock"), FundedCount(max=0, label="none"), frame=WIDE)) == [
        v(
            "lock",
            "must_fund",
            (),
            1,
            "applications",
            "the lock 'lock' would have to be dropped: the other rules leave no room to fund it",
        ),
        v(
            "none",
            "count",
            (),
            1,
            "applications",
            "the cap 'none' would have to allow 1 application more (at most 1 instead of 0)",
        ),
    ]
    got = found(
        call(
            GroupLimit(category="cluster", max_amount=250_000, label="cap"),
            MustFund(ids=["C1", "C2"], label="both"),
            frame=WIDE,
        )
    )
    assert got[0] == v(
        "cap",
        "group",
        (),
        50_000,
        "kr",
        "the cap 'cap' would have to allow 50 000 kr more (300 000 kr instead of 250 000 kr)",
    )
    (part,) = got[1]["parts"]  # either cluster may leave the lock
    assert part in ("C1", "C2")
    assert got[1] == v(
        "both",
        "must_fund",
        (part,),
        1,
        "applications",
        f"the lock 'both' [{part}] would have to be dropped: the other rules leave no room to fund it",
    )


def test_a_lock_on_an_amount() -> None:
    # all-or-nothing: C1 gets its 200 000 or nothing, so the lock gives way by all of it
    p = call(
        MustFund(ids="C1", amount=200_000, label="lock"),
        GroupLimit(category="cluster", max_amount=150_000, label="cap"),
        frame=WIDE,
    )
    assert found(p) == [
        v("lock", "must_fund", (), 200_000, "kr", "the lock 'lock' would have to change its amount by 200 000 kr"),
        v(
            "cap",
            "group",
            (),
            50_000,
            "kr",
            "the cap 'cap' would have to allow 50 000 kr more (200 000 kr instead of 150 000 kr)",
        ),
    ]


def test_exclusions_dependencies_and_eligibility() -> None:
    assert found(
        call(
            MustNotFund(ids="N1", label="not N1"),
            GroupLimit(category="network", min_count=1, label="a network"),
            frame=WIDE,
        )
    ) == [
        v(
            "not N1",
            "must_not_fund",
            (),
            1,
            "applications",
            "the lock 'not N1' would have to be dropped: the other rules need it funded",
        ),
        v("a network", "group", (), 1, "applications", "the floor 'a network' is 1 application short"),
    ]
    dep = call(
        Requires(ids="C2", requires=["N1"], label="dep"),
        MustFund(ids="C2", label="lock C2"),
        MustNotFund(ids="N1", label="not N1"),
        frame=WIDE,
    )
    assert found(dep)[0] == v(
        "dep",
        "requires",
        ("C2 needs N1",),
        1,
        "applications",
        "the dependency 'dep' [C2 needs N1] would have to be dropped",
    )
    # N1 scores 2, below the threshold 3
    assert found(call(MustFund(ids="N1", label="lock"), threshold=3, frame=WIDE)) == [
        v(
            "lock",
            "must_fund",
            (),
            1,
            "applications",
            "the lock 'lock' would have to be dropped: the other rules leave no room to fund it",
        ),
        v(
            "eligibility",
            "eligibility",
            ("N1",),
            1,
            "applications",
            "ineligible application 'N1' would have to be funded for the other rules to hold",
        ),
    ]


def test_per_application_rules_name_their_parts() -> None:
    # co-financing: C1 may get half of 300 000
    assert found(call(CoFinancing(share=0.5, label="half"), MustFund(ids="C1", label="lock"), frame=WIDE))[0] == v(
        "half",
        "co_financing",
        ("C1",),
        50_000,
        "kr",
        "the rule 'half' [C1] would have to allow 50 000 kr more (200 000 kr instead of 150 000 kr)",
    )
    # 150 000 per application: C1 is 50 000 over, N1 30 000; no single limit to quote
    d = diagnose(call(MaxGrant(amount=150_000, label="max"), MustFund(ids=["C1", "N1"], label="both"), frame=WIDE))
    assert [x.model_dump() for x in d.violations] == [
        v("max", "max_grant", ("C1", "N1"), 80_000, "kr", "the cap 'max' [C1, N1] would have to allow 80 000 kr more"),
        v(
            "both",
            "must_fund",
            ("C1", "N1"),
            2,
            "applications",
            "the lock 'both' [C1, N1] would have to be dropped: the other rules leave no room to fund it",
        ),
    ]
    assert [(r.label, r.part) for r in d.rule_refs] == [("max", "C1"), ("max", "N1"), ("both", "C1"), ("both", "N1")]
    frame = d.to_frame()
    assert list(frame.columns) == ["rule", "kind", "parts", "violation", "unit", "resolves_all", "message"]
    assert frame["parts"].tolist() == ["C1; N1", "C1; N1"]


def test_the_frame_alone_against_locks() -> None:
    got = found(call(MustFund(ids=["C1", "C2", "N1"], label="all")))
    (part,) = got[0]["parts"]  # C1 + C2 = 300 000 fit, and so do C2 + N1 = 280 000
    assert part in ("C1", "N1")
    assert got == [
        v(
            "all",
            "must_fund",
            (part,),
            1,
            "applications",
            f"the lock 'all' [{part}] would have to be dropped: the other rules leave no room to fund it",
        ),
        v(
            "frame",
            "frame",
            (),
            180_000,
            "kr",
            "the frame is 180 000 kr short: it would have to be 480 000 kr instead of 300 000 kr",
        ),
    ]


@pytest.mark.parametrize("frame", [480_000, WIDE])
def test_a_feasible_call(frame: int) -> None:
    d = diagnose(call(MustFund(ids=["C1", "C2", "N1"], label="all"), frame=frame), time_limit=None)
    assert d.feasible and d.conflicting == () and d.violations == () and d.irreducible
    assert str(d) == "every rule can hold: the problem has a feasible portfolio"
    assert d.solves == 1 and 0 <= d.runtime_s < 60  # one solve finds no rule needing to give way


def test_solves_cut_short_by_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every solve that asks how far one rule alone must give way runs out of time (a spy
    on the elastic model: the filters themselves run): the set is reported, not proven
    irreducible, and the rule's least violation is unknown."""
    import math

    from allocator.optimize import elastic
    from allocator.status import Status

    real = elastic.Elastic.minimise

    def spy(self: elastic.Elastic, deadline: float) -> tuple[Status, Any]:
        if sum(1 for m in self.mode.values() if m == "elastic") == 1:
            self.timed_out = True
            return Status.NO_SOLUTION, None
        return real(self, deadline)

    monkeypatch.setattr(elastic.Elastic, "minimise", spy)
    d = diagnose(call(GroupLimit(category="network", min_amount=200_000, label="networks"), frame=WIDE))
    assert d.conflicting == ("networks",) and not d.irreducible and not d.feasible
    (only,) = d.violations
    assert math.isnan(only.violation)
    assert (only.rule, only.kind, only.parts, only.unit, only.resolves_all) == ("networks", "group", (), "kr", False)
    sentence = "'networks' takes part in the conflict (the time limit ran out before its least violation was found)"
    assert only.message == sentence
    assert str(d) == (
        "'networks' cannot hold (the time limit ran out before this set was proven irreducible). Smallest change to "
        f"each: {sentence}."
    )


def test_counts_in_the_plural_and_exclusions() -> None:
    got = found(call(FundedCount(max=0, label="none"), MustFund(ids=["C1", "C2"], label="both"), frame=WIDE))
    assert got[0] == v(
        "none",
        "count",
        (),
        2,
        "applications",
        "the cap 'none' would have to allow 2 applications more (at most 2 instead of 0)",
    )
    got = found(
        call(
            Exclusive(ids=["C1", "C2"], at_most=1, label="one of"), MustFund(ids=["C1", "C2"], label="both"), frame=WIDE
        )
    )
    assert got[0] == v(
        "one of",
        "exclusive",
        (),
        1,
        "applications",
        "the cap 'one of' would have to allow 1 application more (at most 2 instead of 1)",
    )


def test_a_feasible_diagnosis_as_a_table() -> None:
    frame = diagnose(call(frame=WIDE)).to_frame()
    assert list(frame.columns) == ["rule", "kind", "parts", "violation", "unit", "resolves_all", "message"]
    assert len(frame) == 0


def test_pots_and_years_are_caps() -> None:
    lock = MustFund(ids=["C1", "C2"], label="both")
    pots = BudgetPots(column="Pott", frames={"p1": 250_000, "p2": 500_000}, label="pots")
    got = found(call(pots, lock, frame=WIDE))
    assert got[0] == v(
        "pots",
        "pots",
        ("p1",),
        50_000,
        "kr",
        "the cap 'pots' [p1] would have to allow 50 000 kr more (300 000 kr instead of 250 000 kr)",
    )
    # a quarter of 300 000 in y1; the row is scaled by 4 to hold the quarters in integers
    years = MultiYear(frames={"y1": 50_000, "y2": WIDE}, columns={"y1": "Y1", "y2": "Y2"}, label="years")
    got = found(call(years, lock, frame=WIDE))
    assert got[0] == v(
        "years",
        "multi_year",
        ("y1",),
        25_000,
        "kr",
        "the cap 'years' [y1] would have to allow 25 000 kr more (75 000 kr instead of 50 000 kr)",
    )
    assert got[1]["parts"] in (("C1",), ("C2",))


def test_a_floor_over_several_parts_quotes_no_single_limit() -> None:
    # clusters have 300 000 (50 000 short of 350 000), the network 180 000 (170 000 short)
    assert found(call(GroupLimit(per="category", min_amount=350_000, label="each"), frame=WIDE)) == [
        v(
            "each",
            "group",
            ("cluster", "network"),
            220_000,
            "kr",
            "the floor 'each' [cluster, network] would have to come down by 220 000 kr",
        )
    ]


def test_another_conflict_remains() -> None:
    # two conflicts: the lock against 'none', and the network floor on its own; either may be reported
    d = diagnose(
        call(
            MustFund(ids="N1", label="lock"),
            FundedCount(max=0, label="none"),
            GroupLimit(category="network", min_amount=200_000, label="networks"),
            frame=WIDE,
        )
    )
    assert d.conflicting in (("lock", "none"), ("networks",))
    assert d.violations and all(not x.resolves_all for x in d.violations)
    assert all(x.message.endswith(" (another conflict remains)") for x in d.violations)
    if d.conflicting == ("networks",):
        assert d.violations[0].message == (
            "the floor 'networks' would have to come down by 20 000 kr (180 000 kr instead of 200 000 kr) "
            "(another conflict remains)"
        )
