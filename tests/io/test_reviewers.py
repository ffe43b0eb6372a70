"""Several reviewers per criterion: wide and long, mean and median, missing reviews both ways."""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Problem, solve
from allocator.exceptions import InputError
from allocator.io.reviewers import aggregate_reviews, read_reviews

WIDE = pd.DataFrame(
    {
        "Søknadsnr": ["A", "B", "C"],
        "Søknadsbeløp": [100_000, 150_000, 80_000],
        "green_r1": [4, 6, 5],
        "green_r2": [5, 6, None],
        "green_r3": [6, 7, 3],
        "smart_r1": [3, 2, 7],
        "smart_r2": [4, 2, 6],
        "smart_r3": [5, 5, 7],
    }
)


@pytest.mark.parametrize("how", ["mean", "median"])
def test_wide_mean_and_median_with_missing_ignored(how: str) -> None:
    before = WIDE.copy()
    out = aggregate_reviews(WIDE, ["green", "smart"], how=how, missing="ignore")
    pd.testing.assert_frame_equal(WIDE, before)  # the caller's table is not modified
    agg = statistics.mean if how == "mean" else statistics.median
    for k, row in WIDE.iterrows():
        for c in ("green", "smart"):
            given_scores = [v for v in (row[f"{c}_r1"], row[f"{c}_r2"], row[f"{c}_r3"]) if not pd.isna(v)]
            assert out.loc[k, c] == pytest.approx(agg(given_scores), abs=1e-12)
            assert out.loc[k, f"{c}_min"] == min(given_scores) and out.loc[k, f"{c}_max"] == max(given_scores)
            assert out.loc[k, f"{c}_n"] == len(given_scores)
    assert list(out.columns[:2]) == ["Søknadsnr", "Søknadsbeløp"] and "green_r1" not in out.columns
    # C's green, with one review missing: 4 (mean of 5 and 3), never (5 + 0 + 3) / 3
    assert out.loc[2, "green"] == 4.0


def test_a_missing_review_is_refused_by_default() -> None:
    with pytest.raises(
        InputError,
        match=r"application 'C', row 3, column 'green_r2'.*missing.*missing='ignore'",
    ):
        aggregate_reviews(WIDE, ["green", "smart"])
    # with every review there, refusing changes nothing
    full = WIDE.assign(green_r2=[5, 6, 4])
    assert aggregate_reviews(full, ["green", "smart"]).loc[2, "green"] == 4.0


def test_no_review_at_all_is_refused_even_when_ignoring() -> None:
    empty = WIDE.assign(green_r1=[4, 6, None], green_r2=[5, 6, None], green_r3=[6, 7, None])
    with pytest.raises(InputError, match="no reviewer scored 'green'"):
        aggregate_reviews(empty, ["green", "smart"], missing="ignore")


def test_wide_by_column_mapping_and_spread_reaches_the_problem() -> None:
    df = pd.DataFrame(
        {
            "id": ["A", "B"],
            "requested": [100, 100],
            "Grønn A": [2, 7],
            "Grønn B": [4, 7],
        }
    )
    out = aggregate_reviews(df, {"green": ["Grønn A", "Grønn B"]})
    p = Problem.from_frame(out, frame=100, weights={"green": 1}, scales=(1, 7))
    a, b = p.applications
    assert a.scores["green"] == 3 and a.spread == {"green": (2.0, 4.0)}
    assert b.scores["green"] == 7 and b.spread == {"green": (7.0, 7.0)}
    assert "green_n" in a.attributes and "green_min" not in a.attributes  # the spread is not an attribute
    assert solve(p).funded_ids == ["B"]
    # round trip: the problem's table carries the spread again
    again = Problem.from_frame(p.to_frame(), frame=100, weights={"green": 1}, scales=(1, 7))
    assert [x.spread for x in again.applications] == [x.spread for x in p.applications]


LONG = pd.DataFrame(
    {
        "id": ["A", "A", "A", "B", "B", "C"],
        "reviewer": ["R1", "R2", "R3", "R1", "R3", "R2"],
        "requested": [100, 100, 100, 200, 200, 50],
        "green": [4, 7, 5, 6, None, 3],
        "smart": [2, 2, 5, 6, 6, 1],
    }
)


@pytest.mark.parametrize("how", ["mean", "median"])
def test_long_layout(how: str) -> None:
    out = aggregate_reviews(LONG, ["green", "smart"], how=how, missing="ignore")
    agg = statistics.mean if how == "mean" else statistics.median
    assert list(out["id"]) == ["A", "B", "C"] and list(out["requested"]) == [
        100,
        200,
        50,
    ]
    for k, app in enumerate("ABC"):
        rows = LONG[LONG["id"] == app]
        for c in ("green", "smart"):
            scores = [v for v in rows[c] if not pd.isna(v)]
            assert out.loc[k, c] == pytest.approx(agg(scores))
            assert (
                out.loc[k, f"{c}_min"],
                out.loc[k, f"{c}_max"],
                out.loc[k, f"{c}_n"],
            ) == (min(scores), max(scores), len(scores))
    with pytest.raises(InputError, match=r"application 'B'.*reviewer 'R3'.*'green' is missing"):
        aggregate_reviews(LONG, ["green", "smart"])


def test_long_layout_with_an_applications_table_and_its_checks() -> None:
    apps = pd.DataFrame({"id": ["C", "A", "B"], "requested": [50, 100, 200], "title": ["c", "a", "b"]})
    reviews = LONG.drop(columns=["requested"])
    out = aggregate_reviews(reviews, ["green", "smart"], missing="ignore", applications=apps)
    assert list(out["id"]) == ["C", "A", "B"] and list(out["title"]) == ["c", "a", "b"]
    assert out.loc[1, "green"] == pytest.approx((4 + 7 + 5) / 3)
    with pytest.raises(InputError, match="has no review"):
        aggregate_reviews(
            reviews[reviews["id"] != "C"],
            ["green", "smart"],
            missing="ignore",
            applications=apps,
        )
    with pytest.raises(InputError, match="not in the applications table"):
        aggregate_reviews(
            reviews,
            ["green", "smart"],
            missing="ignore",
            applications=apps[apps["id"] != "B"],
        )
    twice = pd.concat([reviews, reviews.iloc[[0]]])
    with pytest.raises(InputError, match="reviewed application 'A' twice"):
        aggregate_reviews(twice, ["green", "smart"], missing="ignore")
    differs = LONG.assign(requested=[100, 100, 999, 200, 200, 50])
    with pytest.raises(InputError, match="column 'requested' differs between its reviews"):
        aggregate_reviews(differs, ["green", "smart"], missing="ignore")


def test_bad_arguments_and_cells() -> None:
    with pytest.raises(InputError, match="'mean' or 'median'"):
        aggregate_reviews(WIDE, ["green"], how="mode")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no review columns for criterion 'innovation'"):
        aggregate_reviews(WIDE, ["innovation"])
    with pytest.raises(InputError, match="not a number"):
        aggregate_reviews(WIDE.assign(green_r2=["x", 6, 4]), ["green"])
    with pytest.raises(InputError, match="DataFrame"):
        aggregate_reviews([1, 2], ["green"])  # type: ignore[arg-type]


@given(st.lists(st.lists(st.integers(1, 7), min_size=1, max_size=5), min_size=1, max_size=6))
def test_mean_is_exact_and_within_the_spread(reviews: list[list[int]]) -> None:
    k = max(len(r) for r in reviews)
    data = {
        "id": [f"A{i}" for i in range(len(reviews))],
        "requested": [100] * len(reviews),
    }
    for j in range(k):
        data[f"g_r{j + 1}"] = [r[j] if j < len(r) else None for r in reviews]
    out = aggregate_reviews(pd.DataFrame(data), ["g"], missing="ignore")
    for i, r in enumerate(reviews):
        assert out.loc[i, "g"] == sum(r) / len(r)  # the exact mean, rounded once
        assert min(r) <= out.loc[i, "g"] <= max(r)


def test_read_reviews_from_a_norwegian_csv(tmp_path: Path) -> None:
    path = tmp_path / "vurderinger.csv"
    path.write_bytes("Søknadsnr;Søknadsbeløp;green_r1;green_r2\nA;100 000;4,5;5\nB;50 000;6;\n".encode("cp1252"))
    out = read_reviews(path, ["green"], missing="ignore")
    assert list(out["green"]) == [4.75, 6.0] and list(out["green_n"]) == [2, 1]
