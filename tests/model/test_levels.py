"""The grants an application can receive, by hand."""

from __future__ import annotations

import pytest

from allocator import Application, Options
from allocator.model.levels import Levels, levels


def app(requested: int, minimum: int | None = None) -> Application:
    return Application(id="A", requested=requested, minimum=minimum, scores={"g": 1})


def test_all_or_nothing_is_the_request_alone() -> None:
    lv = levels(app(150_000, 100_000), Options(step=10_000))
    assert lv == Levels(minimum=150_000, step=10_000, K=0, rest=0, requested=150_000)
    assert lv.amounts() == [150_000]


def test_partial_funding_from_the_minimum_in_steps_and_the_request() -> None:
    # 100 000, 110 000, 120 000 in steps of 10 000, then the request 125 000 (5 000 more)
    lv = levels(app(125_000, 100_000), Options(partial=True, step=10_000))
    assert lv == Levels(minimum=100_000, step=10_000, K=2, rest=5_000, requested=125_000)
    assert lv.amounts() == [100_000, 110_000, 120_000, 125_000]
    # a request that is a whole number of steps above the minimum is the last step itself
    assert levels(app(120_000, 100_000), Options(partial=True, step=10_000)).amounts() == [100_000, 110_000, 120_000]


@pytest.mark.parametrize(
    ("requested", "options", "minimum"),
    [
        (100_000, Options(partial=True, step=10_000), 10_000),  # no minimum given: one step
        (7_000, Options(partial=True, step=10_000), 7_000),  # ... or the request, if smaller
        (100_000, Options(partial=True, step=10_000, min_share=0.25), 25_000),
        (100_001, Options(partial=True, step=10_000, min_share=0.25), 25_001),  # rounded up to whole kroner
        (100, Options(partial=True, step=10, min_share=0.001), 1),  # at least 1 kr
    ],
)
def test_the_minimum_when_the_application_gives_none(requested: int, options: Options, minimum: int) -> None:
    assert levels(app(requested), options).minimum == minimum
