"""The state-aid register flag: grants of EUR 100 000 or more, compared exactly in kroner."""

from __future__ import annotations

from allocator.data import load_example, load_example_policy
from allocator.rules.state_aid import state_aid_register


def test_state_aid_flag_at_the_threshold_and_not_one_krone_below() -> None:
    grants = {"at": 1_150_000, "below": 1_149_999, "above": 2_000_000, "none": 0}
    r = state_aid_register(grants, eur_nok=11.5)
    assert r.threshold == 1_150_000 and r.flagged == ("at", "above") and "at" in r and "below" not in r
    # the threshold is a parameter; a rate with more decimals is compared exactly (100 000 x 11.4537 = 1 145 370)
    r = state_aid_register({"a": 1_145_370, "b": 1_145_369}, eur_nok=11.4537)
    assert r.flagged == ("a",)
    assert state_aid_register({"a": 500_000}, eur_nok=10, threshold_eur=50_000).flagged == ("a",)
    # the rate of the call's de minimis rule, when there is one (the example's: 10.0)
    p = load_example_policy().apply(load_example())
    r = state_aid_register({"2022-R2-01": 1_000_000, "2022-R2-02": 999_999}, p)
    assert (r.eur_nok, r.rate_source, r.threshold, r.flagged) == (
        10.0,
        "de minimis rule",
        1_000_000,
        ("2022-R2-01",),
    )
    # no rate: nothing flagged, and it says so
    assert state_aid_register(grants).threshold is None and state_aid_register(grants).flagged == ()
