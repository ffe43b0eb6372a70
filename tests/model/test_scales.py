"""Without given scales, every criterion shares one scale: no application's value depends on
another application's scores, and the solution, the command line and the report say so."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Problem, solve
from allocator.cli import main

WEIGHTS = {"green": 0.5, "smart": 0.5}
BASE = pd.DataFrame({"id": ["A", "B"], "requested": [100, 100], "green": [4, 1], "smart": [1, 3]})
# X scores far higher on green; it asks for more than the frame, so it is never funded itself
X = pd.DataFrame({"id": ["X"], "requested": [1_000], "green": [40], "smart": [0]})


def _decide(df: pd.DataFrame, **kw: object) -> tuple[dict[str, int], list[str]]:
    p = Problem.from_frame(df, frame=100, weights=WEIGHTS, **kw)
    s = solve(p)
    order = [d.id for d in sorted(s.decisions, key=lambda d: -d.score) if d.id != "X"]
    return {d.id: d.granted for d in s.decisions if d.id != "X"}, order


def test_adding_a_higher_score_changes_nothing_among_the_others() -> None:
    before = _decide(BASE)
    after = _decide(pd.concat([BASE, X], ignore_index=True))
    assert before == after == ({"A": 100, "B": 0}, ["A", "B"])
    # the test has teeth: with each criterion scaled to its own column's top (the old default),
    # X's green score moves the effective weights and the decision among A and B flips
    with_x = pd.concat([BASE, X], ignore_index=True)
    old = _decide(with_x, scales={"green": (0, 40), "smart": (0, 3)})
    assert old[0] == {"A": 0, "B": 100}


scores = st.integers(0, 7)


@given(
    st.lists(st.tuples(st.integers(1, 9), scores, scores, scores), min_size=1, max_size=7),
    st.integers(8, 30),
    st.sampled_from(["green", "smart", "innovation"]),
)
def test_property_other_decisions_do_not_move(rows: list[tuple[int, int, int, int]], high: int, which: str) -> None:
    df = pd.DataFrame(
        [(f"A{i}", r * 10, g, s, n) for i, (r, g, s, n) in enumerate(rows)],
        columns=["id", "requested", "green", "smart", "innovation"],
    )
    if not df[["green", "smart", "innovation"]].to_numpy().any():
        df.loc[0, "green"] = 1
    weights = {"green": 0.5, "smart": 0.3, "innovation": 0.2}
    frame = max(10, int(df["requested"].sum()) // 2)
    s0 = solve(Problem.from_frame(df, frame=frame, weights=weights))
    extra = {
        "id": "NEW",
        "requested": frame + 1,
        "green": 0,
        "smart": 0,
        "innovation": 0,
    } | {which: high}
    s1 = solve(
        Problem.from_frame(
            pd.concat([df, pd.DataFrame([extra])], ignore_index=True),
            frame=frame,
            weights=weights,
        )
    )
    assert {d.id: d.granted for d in s1.decisions if d.id != "NEW"} == s0.grants
    rank0 = {d.id: d.rank for d in s0.decisions}
    rank1 = {d.id: d.rank for d in s1.decisions if d.id != "NEW"}
    ids = list(rank0)
    for a in ids:
        for b in ids:
            assert (rank0[a] < rank0[b]) == (rank1[a] < rank1[b])


def test_the_inferred_scale_is_said_plainly(tmp_path: object) -> None:
    p = Problem.from_frame(BASE, frame=100, weights=WEIGHTS)
    s = solve(p)
    assert s.notes and "one shared scale from 0 to 4" in s.notes[0] and "scales=(1, 7)" in s.notes[0]
    given = Problem.from_frame(BASE, frame=100, weights=WEIGHTS, scales=(0, 7))
    assert solve(given).notes == ()


def test_the_command_line_says_how_to_give_the_scale(
    tmp_path: pytest.TempPathFactory,
) -> None:
    path = tmp_path / "a.csv"  # type: ignore[operator]
    BASE.to_csv(path, index=False)
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(
            [
                "solve",
                str(path),
                "--frame",
                "100",
                "--weight",
                "green=0.5",
                "--weight",
                "smart=0.5",
                "-q",
            ],
            stdout=out,
            stderr=err,
        )
        == 0
    )
    text = " ".join(out.getvalue().split())
    assert "one shared scale from 0 to 4" in text and "--scale green=1:7" in text
    out = io.StringIO()
    assert (
        main(
            [
                "solve",
                str(path),
                "--frame",
                "100",
                "--weight",
                "green=0.5",
                "--weight",
                "smart=0.5",
                "-q",
                "--lang",
                "nb",
            ],
            stdout=out,
            stderr=err,
        )
        == 0
    )
    assert "én felles skala fra 0 til 4" in " ".join(out.getvalue().split())


def test_the_report_says_so(tmp_path: pytest.TempPathFactory) -> None:
    import openpyxl

    from allocator import write_report

    p = Problem.from_frame(BASE, frame=100, weights=WEIGHTS)
    out = write_report(solve(p), tmp_path / "r.xlsx", problem=p, lang="nb")  # type: ignore[operator]
    text = " ".join(
        str(v) for row in openpyxl.load_workbook(out)["Sammendrag"].iter_rows(values_only=True) for v in row if v
    )
    assert "Ingen skala var oppgitt" in text and "scales=(1, 7)" in text
