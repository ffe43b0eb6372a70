"""The id order of the last tie-break: digit runs as numbers, then the raw text.

The order is coded by hand in :func:`tests.brute.id_order_key` (nothing imported from
allocator); here it is checked on the public functions: ``solve`` and ``rank_and_fund`` fund
the same applications whatever the row order, also when two ids are equal as numbers
(``'A-1'`` and ``'A-01'``), and ids with characters Unicode calls digits (``'²'``, ``'①'``)
are ordinary text, not an error.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, rank_and_fund, solve
from tests.brute import id_order_key, lexicographic_best
from tests.conftest import examples


def _tied(ids: list[str], frame: int) -> Problem:
    """Applications that are equal in everything but their id."""
    apps = [Application(id=i, requested=100, scores={"g": 5}) for i in ids]
    return Problem(frame=frame, criteria=[Criterion(name="g", weight=1, scale_max=10)], applications=apps)


def test_hand_coded_order() -> None:
    ids = ["A-10", "A-2", "A-01", "A-1", "a-1", "B", "10", "9", "09", "²", "A-1①", "A-1 ", "A1", ""]
    assert sorted(ids, key=id_order_key) == [
        "",
        "09",
        "9",
        "10",
        "A1",
        "A-01",
        "A-1",
        "A-1 ",
        "A-1①",
        "A-2",
        "A-10",
        "B",
        "a-1",
        "²",
    ]


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 0, 2], [1, 2, 0]])
def test_ids_equal_as_numbers_do_not_depend_on_row_order(order: list[int]) -> None:
    df = pd.DataFrame({"id": ["A-1", "A-01", "B"], "requested": [100] * 3, "green": [5, 5, 1], "smart": [5, 5, 1]})
    df = df.iloc[order].reset_index(drop=True)
    p = Problem.from_frame(df, frame=100, weights={"green": 0.5, "smart": 0.5})
    # 'A-01' and 'A-1' are equal as numbers; the raw text decides: 'A-01' < 'A-1'
    assert solve(p).funded_ids == ["A-01"]
    assert rank_and_fund(p).funded_ids == ["A-01"]


@pytest.mark.parametrize(
    "ids", [["²", "1"], ["A-1①", "A-1"], ["①", "②", "x"], ["٣", "3"], ["X-2", "X-10", "XX"], ["9", "A"]]
)
def test_unicode_digits_are_text(ids: list[str]) -> None:
    p = _tied(ids, 100)
    first = min(ids, key=id_order_key)
    assert solve(p).funded_ids == [first]
    assert rank_and_fund(p).funded_ids == [first]


_PADDED = st.lists(
    st.builds(
        lambda prefix, k, zeros: f"{prefix}{'0' * zeros}{k}",
        st.sampled_from(["A-", "A-0", "", "B-", "2022-R2-"]),
        st.integers(0, 12),
        st.integers(0, 2),
    ),
    min_size=2,
    max_size=7,
    unique=True,
)


@examples(30)
@given(ids=_PADDED, funded=st.integers(1, 6), data=st.data())
def test_exact_ties_fund_the_smallest_ids_in_any_row_order(ids: list[str], funded: int, data: st.DataObject) -> None:
    p = _tied(ids, 100 * funded)
    want = sorted(sorted(ids, key=id_order_key)[:funded])
    shuffled = data.draw(st.permutations(p.applications))
    q = p._rebuilt(applications=list(shuffled))
    for problem in (p, q):
        assert sorted(solve(problem).funded_ids) == want
        assert sorted(rank_and_fund(problem).funded_ids) == want
        best = lexicographic_best(problem)
        assert best is not None and sorted(best.funded) == want
