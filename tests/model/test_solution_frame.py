"""``Solution.to_frame`` against the decisions as pydantic dumps them (JSON mode), column by
column and value by value, with the dtypes the documentation promises."""

from __future__ import annotations

import pandas as pd
import pytest

from allocator import rank_and_fund, solve
from allocator.data import load_example, load_example_policy, small_example


def _by_pydantic(sol: object) -> pd.DataFrame:
    rows = [d.model_dump(mode="json") for d in sol.decisions]  # type: ignore[attr-defined]
    cols = [
        "id",
        "title",
        "applicant",
        "category",
        "requested",
        "granted",
        "funded",
        "score",
        "value",
        "rank",
        "eligible",
        "reason",
        "note",
        "binding_rules",
    ]
    return pd.DataFrame(
        {c: [("; ".join(r[c]) if c == "binding_rules" else r[c]) for r in rows] for c in cols}, columns=cols
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: solve(load_example()),
        lambda: solve(load_example_policy().apply(load_example())),
        lambda: rank_and_fund(load_example_policy().apply(load_example())),
        lambda: solve(small_example()),
    ],
    ids=["example", "example with policy", "rank-and-fund with policy", "small"],
)
def test_to_frame_holds_every_decision_as_pydantic_dumps_it(make: object) -> None:
    sol = make()  # type: ignore[operator]
    got = sol.to_frame()
    want = _by_pydantic(sol)
    assert list(got.columns) == list(want.columns)
    for c in want.columns:
        assert got[c].tolist() == want[c].tolist(), c
    assert {c: str(got[c].dtype) for c in ("requested", "granted", "funded", "rank", "eligible", "score", "value")} == {
        "requested": "int64",
        "granted": "int64",
        "funded": "bool",
        "rank": "int64",
        "eligible": "bool",
        "score": "float64",
        "value": "float64",
    }
    assert any(got["binding_rules"]) or not sol.binding_rules


def test_a_solution_without_decisions_gives_the_columns_and_no_rows() -> None:
    sol = solve(small_example())
    empty = sol.model_copy(update={"decisions": ()})
    df = empty.to_frame()
    assert len(df) == 0 and list(df.columns) == list(_by_pydantic(sol).columns)
    assert str(df["granted"].dtype) == "int64"
