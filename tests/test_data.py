"""The embedded example: VTFK 2022 round 2 (illustrative applications)."""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from pathlib import Path

import pandas as pd
import pytest

import allocator
from allocator import Status
from allocator.data import (
    EXAMPLE_CSV,
    example_frame,
    example_metadata,
    load_example,
)
from allocator.io.tables import read_problem, read_table, write_decisions

CRITERIA = ["Grønn omstilling", "Smart spesialisering", "Innovasjon", "Verdiskaping", "Aktørbredde"]


@pytest.fixture(scope="module")
def problem() -> allocator.Problem:
    return load_example()


def test_loads_as_described(problem: allocator.Problem) -> None:
    assert problem.frame == 2_300_000
    assert "illustrative" in problem.name
    assert 24 <= len(problem.applications) <= 28
    assert problem.weights == {
        "green": 0.30,
        "smart": 0.25,
        "innovation": 0.20,
        "value_creation": 0.15,
        "breadth": 0.10,
    }
    assert all((c.scale_min, c.scale_max) == (1, 7) for c in problem.criteria)
    assert [c.label for c in problem.criteria] == [
        "Green transition",
        "Smart specialisation",
        "Innovation",
        "Value creation",
        "Breadth of actor groups",
    ]
    assert 1.9 <= problem.total_requested / problem.frame <= 2.1


def test_marked_illustrative() -> None:
    assert example_metadata()["illustrative"] is True
    assert "illustrative" in (load_example.__doc__ or "").lower()
    assert "illustrative" in (allocator.data.__doc__ or "").lower()
    assert all(name.startswith("Eksempel ") for name in example_frame()["Søker"])


def test_table_is_shaped_like_a_real_round() -> None:
    df = example_frame()
    assert list(df.columns) == [
        "Søknadsnr",
        "Tittel",
        "Søker",
        "Kategori",
        "Fylkesdel",
        "Søknadsbeløp",
        "Minimumsbeløp",
        "Prosjektkostnad",
        "Annen offentlig støtte",
        *CRITERIA,
        "Stikkord",
    ]
    assert df["Søknadsnr"].is_unique
    assert set(df["Fylkesdel"]) == {"Vestfold", "Telemark"}
    kinds = set(df["Kategori"])
    for kind in ("prosessindustri", "vannteknologi", "nanoteknologi", "IT", "bedriftsnettverk"):
        assert any(kind in k for k in kinds), kind
    for col in CRITERIA:
        assert df[col].between(1, 7).all() and (df[col] == df[col].round()).all()
    req = df["Søknadsbeløp"]
    assert req.between(50_000, 400_000).all()
    assert df["Minimumsbeløp"].notna().mean() > 0.8
    assert (df["Minimumsbeløp"].dropna() <= req[df["Minimumsbeløp"].notna()]).all()
    half_or_less = 2 * req <= df["Prosjektkostnad"]
    assert half_or_less.mean() > 0.7 and not half_or_less.all()  # most, not all, co-finance half


def exact_optimum(problem: allocator.Problem) -> Fraction:
    """Knapsack by dynamic programming over exact values, independent of the solver."""
    weights = {c.name: Fraction(str(c.weight)) for c in problem.criteria}
    tops = {c.name: Fraction(str(c.scale_max)) for c in problem.criteria}
    values = [sum(weights[k] * Fraction(str(a.scores[k])) / tops[k] for k in weights) for a in problem.applications]
    unit = problem.frame
    for a in problem.applications:
        unit = gcd(unit, a.requested)
    cap = problem.frame // unit
    best = [Fraction(0)] * (cap + 1)
    for a, v in zip(problem.applications, values, strict=True):
        w = a.requested // unit
        for f in range(cap, w - 1, -1):
            best[f] = max(best[f], best[f - w] + v)
    return best[cap]


def test_solves_to_the_exact_optimum_and_beats_rank_and_fund(problem: allocator.Problem) -> None:
    s = allocator.solve(problem)
    assert s.status is Status.OPTIMAL
    assert s.total_granted <= problem.frame
    assert s.total_granted == sum(s.grants.values())
    assert s.objective == pytest.approx(float(exact_optimum(problem)), abs=1e-9)
    b = allocator.rank_and_fund(problem)
    c = allocator.compare(s, b)
    assert c.optimal_value >= c.baseline_value - 1e-12
    # the example is built to show the point: rank-and-fund takes the large top-ranked
    # application first and ends a few percent below the optimum
    top = max(problem.applications, key=lambda a: s.decision(a.id).score)
    assert b.grants[top.id] == top.requested and s.grants[top.id] == 0
    assert c.improvement_pct is not None and 1 < c.improvement_pct < 10


def test_csv_round_trips_through_read_table(tmp_path: Path, problem: allocator.Problem) -> None:
    raw = example_frame()
    assert read_table(EXAMPLE_CSV).equals(raw)
    path = tmp_path / "norsk.csv"
    raw.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
    back = read_table(path)
    assert back.equals(raw)
    meta = example_metadata()
    again = read_problem(
        path,
        frame=meta["frame"],
        weights=meta["weights"],
        scales=(1, 7),
        labels=meta["labels"],
        labels_nb=meta["labels_nb"],
        name=meta["name"],
        **meta["columns"],
    )
    assert again == problem


def test_decisions_written_and_read_back(tmp_path: Path, problem: allocator.Problem) -> None:
    s = allocator.solve(problem)
    for name in ("d.csv", "d.xlsx"):
        back = read_table(write_decisions(s, tmp_path / name))
        assert back["id"].tolist() == problem.ids
        assert back["granted"].tolist() == [s.grants[i] for i in problem.ids]
    assert allocator.Solution.model_validate_json((write_decisions(s, tmp_path / "d.json")).read_text("utf-8")) == s


def test_raw_frame_is_a_fresh_copy() -> None:
    a = example_frame()
    a.loc[0, "Søknadsbeløp"] = -1
    assert example_frame().loc[0, "Søknadsbeløp"] > 0


def test_data_is_package_data() -> None:
    """The data files sit inside the package, so the wheel (packages = src/allocator) carries them."""
    pkg = Path(allocator.__file__).parent / "data"
    assert (pkg / "vtfk_2022_round2.csv").is_file() and (pkg / "vtfk_2022_round2.json").is_file()
    assert EXAMPLE_CSV.resolve() == (pkg / "vtfk_2022_round2.csv").resolve()


def test_frame_dtypes() -> None:
    df = example_frame()
    assert pd.api.types.is_integer_dtype(df["Søknadsbeløp"])
    assert pd.api.types.is_string_dtype(df["Søknadsnr"])
