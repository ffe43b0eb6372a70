"""Fuzzing the doors through which data comes in: nothing but an AllocatorError may escape.

Random tables (DataFrames, and CSV, JSON and .pb files made of them), random cells and
random policy documents are read; whatever is accepted is solved. Any exception other than
an :class:`~allocator.exceptions.AllocatorError` (a bare ``CellError`` counts as a leak),
and any warning (pytest turns warnings into errors), fails the test. What is accepted must
make sense: whole amounts within the supported range, ids without invisible characters, a
solution within the frame.
"""

from __future__ import annotations

import json
import math
import unicodedata
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from allocator import Problem, read_pabulib, read_problem, solve
from allocator.exceptions import AllocatorError
from allocator.io.policy import parse_policy
from allocator.model.amounts import CellError, parse_amount
from allocator.model.cells import parse_number, parse_tags, parse_text, to_scalar
from allocator.model.limits import MAX_AMOUNT
from tests.conftest import examples

TEXTS = st.sampled_from(
    [
        "",
        " ",
        "150 000",
        "kr 2 300 000",
        "2_300_000",
        "2.300.000,00",
        "150,000",
        "1e400",
        "-5",
        "0",
        "nan",
        "inf",
        "4,5",
        "2.3e6",
        "\u200b",
        "A\u030a",
        "Å",
        "²",
        "١٢",
        "1" * 30,
        "yes",
        "true",
        "Søknad",
        "A-1",
        "A-01",
        "\ufeffid",
        "€ 100",
        "100 NOK",
        "1.5",
        "7",
        "3,5",
        "1 000,5",
        "\u00a0",
        "x;y",
        "a,b",
        "'",
        '"',
        "\n",
        "\t",
        "0x10",
        "1_0",
        "--5",
    ]
)
NUMBERS = st.one_of(
    st.integers(-(10**20), 10**20),
    st.sampled_from([0, 1, 7, 2**53, 2**53 - 1, 2**70, 10**400, -1, 10**13, 10**13 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 1e308, 1e-308, -0.0, 5e-324, 150_000.0, 2.5]),
)
CELLS = st.one_of(
    NUMBERS,
    TEXTS,
    st.text(max_size=12),
    st.none(),
    st.booleans(),
    st.sampled_from(
        [
            np.nan,
            np.int64(5),
            np.float32(2.5),
            np.bool_(True),
            Decimal("1e999"),
            Fraction(7, 2),
            pd.NA,
            pd.Timestamp("2022-09-16"),
            [1, 2],
            {"a": 1},
        ]
    ),
)


def budget(k: int) -> settings:
    """``k`` examples under the ci profile (scaled like tests.conftest.examples), no health checks
    (the strategies are wide on purpose, the examples slow because accepted problems are solved)."""
    return settings(examples(k), suppress_health_check=list(HealthCheck))


HEADERS = [
    "id",
    "requested",
    "minimum",
    "total_cost",
    "green",
    "smart",
    "category",
    "tags",
    "Søknadsnr",
    "Tittel",
    "extra",
]


def _accepted_problem(p: Problem) -> None:
    """What an accepted problem must look like, and that it solves within the frame."""
    for a in p.applications:
        assert type(a.requested) is int and 0 < a.requested <= MAX_AMOUNT
        assert a.id == unicodedata.normalize("NFC", a.id) and not any(unicodedata.category(c) == "Cf" for c in a.id)
        assert all(math.isfinite(s) for s in a.scores.values())
    assert 0 < p.frame <= MAX_AMOUNT
    sol = solve(p, time_limit=20)
    assert sol.status.has_solution
    assert sol.total_granted <= p.frame


def _only_allocator_errors(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        out = call(*args, **kwargs)
        event(f"{getattr(call, '__name__', 'call')}: accepted")
        return out
    except CellError as exc:  # a CellError is an AllocatorError, but must never leak without its row
        raise AssertionError(f"a bare CellError escaped: {exc}") from exc
    except AllocatorError as exc:
        assert str(exc).strip() and "Traceback" not in str(exc)
        event(f"{getattr(call, '__name__', 'call')}: {type(exc).__name__}")
        return None


@budget(300)
@given(CELLS)
def test_cells_raise_only_cell_errors(value: Any) -> None:
    for parse in (parse_amount, parse_number):
        try:
            out = parse(value)
        except CellError:
            continue
        assert out is None or (isinstance(out, (int, float)) and math.isfinite(out))
        if parse is parse_amount and out is not None:
            assert type(out) is int and abs(out) <= MAX_AMOUNT
    parse_text(value), parse_tags(value), to_scalar(value)  # never raise


GOOD = {
    "id": st.sampled_from(
        ["A-1", "A-2", "A-10", "B", "10", "010", "Å-1", "A\u030a-1", "A-1\u200b", "x", " y ", "VT-078", 17, 17.0]
    ),
    "requested": st.one_of(
        st.integers(1, 10**7),
        st.integers(1, 10**7).map(lambda n: f"kr {n:,}".replace(",", " ")),
        st.sampled_from(["2_000", "90.000", "150 000,00", 50_000.0]),
    ),
    "minimum": st.one_of(st.none(), st.integers(1, 10**5)),
    "total_cost": st.one_of(st.none(), st.integers(10**5, 10**8)),
    "green": st.one_of(st.integers(0, 7), st.floats(0, 7), st.sampled_from(["4,5", "3"])),
    "smart": st.one_of(st.integers(0, 7), st.floats(0, 7)),
    "category": st.sampled_from(["klynge", "nettverk", "", "Klynge\u00a0vann"]),
    "tags": st.sampled_from(["Telemark; ny", "", "a,b"]),
}


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    """Clean tables, clean tables with one bad cell, and wild ones, in equal measure."""
    mode = draw(st.sampled_from(["clean", "one bad cell", "wild"]))
    n = draw(st.integers(0 if mode == "wild" else 1, 5))
    if mode == "wild":
        cols = draw(st.lists(st.sampled_from(HEADERS), min_size=0, max_size=7, unique=True))
    else:
        extra = draw(st.lists(st.sampled_from(["minimum", "total_cost", "smart", "category", "tags"]), unique=True))
        cols = ["id", "requested", "green", *extra]
    data: dict[str, list[Any]] = {}
    for c in cols:
        if mode == "wild" or c not in GOOD:
            data[c] = draw(st.lists(CELLS, min_size=n, max_size=n))
        elif c == "id":
            data[c] = draw(st.lists(GOOD["id"], min_size=n, max_size=n, unique_by=str))
        else:
            data[c] = draw(st.lists(GOOD[c], min_size=n, max_size=n))
    if mode == "one bad cell" and n:
        data[draw(st.sampled_from(cols))][draw(st.integers(0, n - 1))] = draw(CELLS)
    return (
        pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()}) if data else pd.DataFrame(index=range(n))
    )


ARGUMENTS = st.fixed_dictionaries(
    {
        "frame": st.one_of(
            st.integers(1, 10**8),
            st.sampled_from([300_000, "2 300 000", 0, -1, 2**60, "mye", 1e400, 250_000.5]),
            NUMBERS,
        ),
        "weights": st.one_of(
            st.just({"green": 1}),
            st.fixed_dictionaries({"green": st.floats(0, 10)}),
            st.dictionaries(
                st.sampled_from(["green", "smart", "requested", "bad name", "x"]), st.one_of(NUMBERS, TEXTS), max_size=3
            ),
        ),
    },
    optional={
        "scales": st.one_of(
            st.none(),
            st.just((0, 10)),
            st.just((1, 7)),
            st.tuples(NUMBERS, NUMBERS),
            NUMBERS,
            st.just({"green": (0, 10)}),
        ),
        "thresholds": st.dictionaries(st.just("green"), st.one_of(NUMBERS, TEXTS)),
        "options": st.dictionaries(
            st.sampled_from(["partial", "step", "min_share", "min_total_score", "normalisation"]),
            st.one_of(st.booleans(), NUMBERS, TEXTS),
            max_size=2,
        ),
        "min_total_score": st.one_of(st.none(), NUMBERS),
    },
)


@budget(200)
@given(tables(), ARGUMENTS)
def test_random_tables_give_a_problem_or_an_allocator_error(df: pd.DataFrame, kwargs: dict[str, Any]) -> None:
    before = df.copy(deep=True)
    p = _only_allocator_errors(Problem.from_frame, df, **kwargs)
    pd.testing.assert_frame_equal(df, before)
    if p is not None:
        _accepted_problem(p)


@budget(100)
@given(
    tables(),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "mac_roman"]),
    st.binary(max_size=8),
    st.sampled_from([".csv", ".json"]),
)
def test_random_files_give_a_problem_or_an_allocator_error(
    tmp_path_factory: Any, df: pd.DataFrame, sep: str, encoding: str, noise: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"t{suffix}"
    if suffix == ".csv":
        text = df.to_csv(sep=sep, index=False)
    else:
        text = json.dumps(df.to_dict("records"), default=str, allow_nan=True)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode("utf-8")
    path.write_bytes(raw + noise)
    p = _only_allocator_errors(read_problem, path, frame=300_000, weights={"green": 1})
    if p is not None:
        _accepted_problem(p)


TOML_VALUES = st.one_of(
    st.sampled_from(
        [
            "1",
            "0.5",
            "-1",
            "nan",
            "inf",
            "1e400",
            '"yes"',
            "true",
            "false",
            '"2 300 000"',
            '"kr 2.300.000"',
            '"2,3 MNOK"',
            "[1, 7]",
            "[7, 1]",
            "[]",
            "{}",
            '"Telemark"',
            "2_300_000",
            "9" * 30,
            '"\u200b"',
            "[[1]]",
        ]
    ),
    st.integers(-(10**15), 10**15).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
TOML_KEYS = {
    None: ["name", "frame", "currency", "bogus"],
    "weights": ["green", "smart", "x y"],
    "scales": ["green", "smart"],
    "thresholds": ["green"],
    "options": ["partial", "step", "min_share", "min_total_score", "tie_break", "normalisation"],
    "columns": ["id", "requested", "green"],
    "[rules]": [
        "kind",
        "label",
        "category",
        "min_count",
        "max_count",
        "max_amount",
        "max_share",
        "share",
        "ids",
        "requires",
        "where",
    ],
}
KINDS = st.sampled_from(['"group"', '"co_financing"', '"lock"', '"requires"', '"exclusive"', '"de_minimis"', '"nope"'])


@st.composite
def policies(draw: st.DrawFn) -> str:
    """Wild documents, and valid ones with one to three random entries (so that they are applied and solved)."""
    wild = draw(st.booleans())
    lines: list[str] = [] if wild else ["frame = 300_000", "[weights]", "green = 1", "smart = 0.5"]
    tables = list(TOML_KEYS) if wild else [t for t in TOML_KEYS if t != "weights"]
    for table in draw(
        st.lists(st.sampled_from(tables), min_size=0 if wild else 1, max_size=5 if wild else 2, unique=not wild)
    ):
        if table == "[rules]":
            lines.append("[[rules]]")
            lines.append(f"kind = {draw(KINDS)}")
        elif table is not None:
            lines.append(f"[{table}]")
        elif not wild:
            lines.insert(0, "")  # top-level keys go before the first table
        for key in draw(st.lists(st.sampled_from(TOML_KEYS[table]), max_size=3, unique=True)):
            if table == "[rules]" and key == "kind":
                continue
            line = f"{key} = {draw(TOML_VALUES)}"
            if table is None and not wild:
                lines.insert(0, line)
            else:
                lines.append(line)
    if wild and draw(st.booleans()):
        lines.insert(0, f"frame = {draw(TOML_VALUES)}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(draw(st.text(max_size=20)))
    return "\n".join(lines) + "\n"


POLICY_TABLE = pd.DataFrame(
    {
        "id": ["A-1", "A-2", "A-3"],
        "requested": [100_000, 150_000, 80_000],
        "green": [5, 3, 4],
        "smart": [2, 5, 3],
        "category": ["klynge", "nettverk", "klynge"],
        "total_cost": [300_000, 300_000, 160_000],
    }
)


@budget(200)
@given(policies())
def test_random_policies_give_a_problem_or_an_allocator_error(text: str) -> None:
    policy = _only_allocator_errors(parse_policy, text, source="fuzz.toml")
    if policy is None or not policy.frame or not policy.weights:
        return
    p = _only_allocator_errors(policy.apply, POLICY_TABLE)
    if p is not None:
        try:
            sol = solve(p, time_limit=20, raise_on_failure=False)
        except AllocatorError:
            return
        assert sol.total_granted <= p.frame if sol.status.has_solution else True


PB_NUMBERS = st.one_of(
    st.integers(1, 10**6).map(str),
    st.sampled_from(["150.5", "12,25"]),
    st.sampled_from(
        [
            "100",
            "0",
            "-5",
            "1e400",
            "1e-400",
            "0.5",
            "1,5",
            "9" * 60,
            "nan",
            "inf",
            "1e999999999",
            "0.0000001",
            "abc",
            "",
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)


@budget(150)
@given(
    PB_NUMBERS,
    st.lists(PB_NUMBERS, min_size=1, max_size=3),
    st.sampled_from(["approval", "cumulative", "x"]),
    st.lists(st.sampled_from(["1", "2", "3", "1,2", "9", "", "1,1"]), max_size=4),
    st.sampled_from(["", "1", "2,1", "x"]),
)
def test_random_pabulib_files_give_a_problem_or_an_allocator_error(
    tmp_path_factory: Any, budget: str, costs: list[str], vote_type: str, votes: list[str], points: str
) -> None:
    projects = "\n".join(f"{k + 1};{c};P{k + 1}" for k, c in enumerate(costs))
    points_col = ";points" if vote_type == "cumulative" else ""
    ballots = "\n".join(f"v{k};{v}" + (f";{points}" if points_col else "") for k, v in enumerate(votes))
    text = f"META\nkey;value\nbudget;{budget}\nvote_type;{vote_type}\nPROJECTS\nproject_id;cost;name\n{projects}\nVOTES\nvoter_id;vote{points_col}\n{ballots}\n"
    path: Path = tmp_path_factory.mktemp("pb") / "f.pb"
    path.write_text(text, encoding="utf-8")
    p = _only_allocator_errors(read_pabulib, path)
    if p is not None:
        _accepted_problem(p)
