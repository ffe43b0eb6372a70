"""Bad-input catalogue, part 2: Pabulib .pb files, TOML policy files, the command line, and the
arguments of the public functions (a wrong type is a TypeError naming the type expected).

The checks are those of tests/catalogue.py: the exception type, the culprit (line or row,
key or column, value) and the fix in the message, and nothing the caller owns changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import allocator
from allocator import load_policy, read_pabulib
from allocator.exceptions import AllocatorError, InputError, PolicyError
from allocator.scenarios import weight_samples
from tests.catalogue import Case, CliRefused, check, cli

PB = """META
key;value
budget;{budget}
vote_type;approval
PROJECTS
project_id;cost;name
1;{cost};Park
2;50;Library
VOTES
voter_id;vote
v1;1,2
v2;2
"""


def pb(budget: str = "100", cost: str = "60", text: str | None = None, encoding: str = "utf-8") -> bytes:
    return (text if text is not None else PB.format(budget=budget, cost=cost)).encode(encoding)


def pb_case(name: str, content: bytes, says: tuple[str, ...]) -> Case:
    return Case(name, lambda d: read_pabulib(d / "a.pb"), InputError, says, files={"a.pb": content})


def pb_cases() -> list[Case]:
    return [
        pb_case("budget 1e400 (defect 12)", pb(budget="1e400"), ("a.pb, line 3", "budget '1e400'", "largest amount")),
        pb_case(
            "cost 1e-400 (defect 12)", pb(cost="1e-400"), ("a.pb, line 7", "cost '1e-400'", "more than 6 decimals")
        ),
        pb_case("cost of 60 digits (defect 16)", pb(cost="9" * 60), ("a.pb, line 7", "project '1'", "largest amount")),
        pb_case("cost 1e999999999", pb(cost="1e999999999"), ("line 7", "'1e999999999'", "largest amount")),
        pb_case(
            "budget missing",
            pb(text=PB.replace("budget;{budget}\n", "").format(cost=60)),
            ("META has no budget", "budget;"),
        ),
        pb_case("cost text", pb(cost="mye"), ("line 7", "cost 'mye' is not a number")),
        pb_case("cost negative", pb(cost="-5"), ("line 7", "cost -5 must be greater than 0")),
        pb_case(
            "duplicate project",
            pb(text=PB.replace("2;50;Library", "1;50;Library").format(budget=100, cost=60)),
            ("line 8", "'1'"),
        ),
        pb_case(
            "unknown vote type",
            pb(text=PB.replace("approval", "borda").format(budget=100, cost=60)),
            ("'borda'", "approval"),
        ),
        pb_case(
            ".pb not UTF-8",
            pb(text=PB.replace("Park", "Bålplass").format(budget=100, cost=60), encoding="cp1252"),
            ("a.pb is not UTF-8", "line 7, column 7", "save the file as UTF-8"),
        ),
        pb_case(
            "costs in halves of a unit beyond the range",
            pb(budget="9999999999999", cost="0.5"),
            ("budget '9999999999999'", "units of 1/2", "largest amount"),
        ),
        pb_case(".pb UTF-16 without a mark", pb(encoding="utf-16-le"), ("a.pb", "NUL bytes", "UTF-16")),
    ]


TOML = "frame = 300_000\n[weights]\ngreen = 0.5\nsmart = 0.5\n"


def toml_case(name: str, text: str | bytes, says: tuple[str, ...]) -> Case:
    content = text.encode() if isinstance(text, str) else text
    return Case(name, lambda d: load_policy(d / "call.toml"), PolicyError, says, files={"call.toml": content})


def toml_cases() -> list[Case]:
    return [
        toml_case(
            "nested 100 000 deep (defect 13)",
            "x = " + "[" * 100_000 + "]" * 100_000,
            ("call.toml", "nested too deeply"),
        ),
        toml_case(
            "partial = yes (defect 17)",
            TOML + '[options]\npartial = "yes"\n',
            ("line 6", "options.partial", "'yes'", "true or false"),
        ),
        toml_case("partial = 1", TOML + "[options]\npartial = 1\n", ("line 6", "options.partial", "1")),
        toml_case("frame 2,3 MNOK", 'frame = "2,3 MNOK"\n', ("line 1", "key 'frame'", "'2,3 MNOK'")),
        toml_case("frame inf", "frame = inf\n", ("line 1", "key 'frame'", "inf")),
        toml_case("frame 1e400", "frame = 1e400\n", ("line 1", "key 'frame'")),
        toml_case("frame of 5000 digits", "frame = " + "9" * 5000 + "\n", ("call.toml", "4 300 digits")),
        toml_case("frame above the range", "frame = 10_000_000_000_001\n", ("line 1", "key 'frame'", "largest amount")),
        toml_case(
            "frame kr with space", 'frame = "kr 2 300 000,50"\n', ("line 1", "key 'frame'", "not a whole number")
        ),
        toml_case("weight nan", TOML.replace("0.5\nsmart", "nan\nsmart"), ("line 3", "weights.green", "nan")),
        toml_case(
            "weight 1e308", TOML.replace("0.5\nsmart", "1e308\nsmart"), ("line 3", "weights.green", "largest weight")
        ),
        toml_case("weight negative", TOML.replace("0.5\nsmart", "-1\nsmart"), ("line 3", "weights.green", "negative")),
        toml_case("scale reversed", TOML + "[scales]\ngreen = [7, 1]\n", ("line 6", "scales.green", "[7, 1]")),
        toml_case("scale 1e300", TOML + "[scales]\ngreen = [0, 1e300]\n", ("line 6", "scales.green", "range")),
        toml_case("threshold 1e12", TOML + "[thresholds]\ngreen = 1e12\n", ("line 6", "thresholds.green", "range")),
        toml_case("unknown key", "rule = 3\n" + TOML, ("line 1", "unknown key 'rule'", "did you mean 'rules'")),
        toml_case("not TOML", "frame = 2 300 000\n", ("not valid TOML", "line 1", "2_300_000")),
        toml_case("step text", TOML + '[options]\nstep = "mye"\n', ("line 6", "options.step", "'mye'")),
        toml_case(
            "min_total_score nan",
            TOML + "[options]\nmin_total_score = nan\n",
            ("line 6", "options.min_total_score", "nan"),
        ),
        toml_case(
            "TOML not UTF-8", (TOML + 'name = "Vårrunde"\n').encode("cp1252"), ("call.toml", "not UTF-8", "line 5")
        ),
        toml_case(
            "rule amount 1,5 mill",
            TOML + '[[rules]]\nkind = "group"\nmax_amount = "1,5 mill"\n',
            ("rules[0]", "max_amount", "'1,5 mill'"),
        ),
        toml_case(
            "rule amount 2**60",
            TOML + f'[[rules]]\nkind = "group"\nmax_amount = {2**60}\n',
            ("rules[0]", "max_amount", "largest amount"),
        ),
    ]


CSV = "id,requested,green,smart\nA-1,100000,5,2\nA-2,150000,3,5\n"
MAC = "Søknadsnr,requested,green,smart\nA-1,100000,5,2\n".encode("mac_roman")
ARGS = (
    "--frame",
    "300000",
    "--weight",
    "green=0.5",
    "--weight",
    "smart=0.5",
    "--scale",
    "green=1:7",
    "--scale",
    "smart=1:7",
)


def hard_link(src: str) -> Callable[[Path], None]:
    return lambda p: os.link(p.parent / src, p)


def sym_link(src: str) -> Callable[[Path], None]:
    return lambda p: p.symlink_to(p.parent / src)


def cli_case(name: str, argv: tuple[str, ...], says: tuple[str, ...], files: dict[str, Any] | None = None) -> Case:
    return Case(name, cli(*argv), CliRefused, says, files={"a.csv": CSV.encode(), **(files or {})})


def cli_cases() -> list[Case]:
    d = "{d}/"
    return [
        cli_case(
            "--out is the input (defect 19)",
            ("solve", d + "a.csv", *ARGS, "--out", d + "a.csv"),
            ("--out", "a.csv", "applications table", "would replace it"),
        ),
        cli_case(
            "--out written differently",
            ("solve", d + "a.csv", *ARGS, "--out", d + "./sub/../a.csv"),
            ("--out", "applications table"),
            files={"sub": lambda p: p.mkdir()},
        ),
        cli_case(
            "--out a hard link to the input",
            ("solve", d + "a.csv", *ARGS, "--out", d + "b.csv"),
            ("--out", "b.csv", "applications table"),
            files={"b.csv": hard_link("a.csv")},
        ),
        cli_case(
            "--out a symbolic link to the input",
            ("solve", d + "a.csv", *ARGS, "--out", d + "c.csv"),
            ("--out", "c.csv", "applications table"),
            files={"c.csv": sym_link("a.csv")},
        ),
        cli_case(
            "--out is the policy",
            ("solve", d + "a.csv", "--policy", d + "call.json", "--out", d + "call.json"),
            ("--out", "policy file"),
            files={"call.json": TOML.encode()},
        ),
        cli_case(
            "--frame 2,3 MNOK (defect 24)",
            ("solve", d + "a.csv", "--frame", "2,3 MNOK", "--weight", "green=1"),
            ("--frame", "'2,3 MNOK'", "not an amount"),
        ),
        cli_case(
            "--frame 1e400",
            ("solve", d + "a.csv", "--frame", "1e400", "--weight", "green=1"),
            ("--frame", "largest amount"),
        ),
        cli_case(
            "--frame with øre",
            ("solve", d + "a.csv", "--frame", "2 300 000,50", "--weight", "green=1"),
            ("--frame", "not a whole"),
        ),
        cli_case(
            "--step a fraction",
            ("solve", d + "a.csv", *ARGS, "--partial", "--step", "0.5"),
            ("--step", "'0.5'", "whole"),
        ),
        cli_case(
            "--time-limit nan",
            ("solve", d + "a.csv", *ARGS, "--time-limit", "nan"),
            ("--time-limit", "'nan'", "positive"),
        ),
        cli_case(
            "--time-limit -1", ("solve", d + "a.csv", *ARGS, "--time-limit", "-1"), ("--time-limit", "'-1'", "positive")
        ),
        cli_case(
            "--weight nan",
            ("solve", d + "a.csv", "--frame", "300000", "--weight", "green=nan"),
            ("weight nan", "'green'"),
        ),
        cli_case(
            "--weight 1e308",
            ("solve", d + "a.csv", "--frame", "300000", "--weight", "green=1e308"),
            ("weight 1e+308", "largest weight"),
        ),
        cli_case(
            "--min-total-score inf", ("solve", d + "a.csv", *ARGS, "--min-total-score", "inf"), ("min_total_score inf",)
        ),
        cli_case(
            "deep JSON (defect 13)",
            ("solve", d + "deep.json"),
            ("deep.json", "nested too deeply"),
            files={"deep.json": b"[" * 100_000 + b"]" * 100_000},
        ),
        cli_case(
            "deep TOML policy (defect 13)",
            ("solve", d + "a.csv", "--policy", d + "deep.toml"),
            ("deep.toml", "nested too deeply"),
            files={"deep.toml": ("x = " + "[" * 100_000 + "]" * 100_000).encode()},
        ),
        cli_case(
            "Mac Roman table (defect 25)",
            ("solve", d + "mac.csv", *ARGS),
            ("mac.csv", "'S¿knadsnr'", "Mac Roman"),
            files={"mac.csv": MAC},
        ),
        cli_case(
            "UTF-16 without a mark",
            ("solve", d + "u.csv", *ARGS),
            ("u.csv", "UTF-16"),
            files={"u.csv": CSV.encode("utf-16-be")},
        ),
        cli_case(
            "huge request in the table",
            ("solve", d + "big.csv", *ARGS),
            ("row 1 (id 'A-1')", "'requested'", "largest amount"),
            files={"big.csv": b"id,requested,green,smart\nA-1,100000000000000000000,5,2\n"},
        ),
        cli_case(
            "policy partial = yes",
            ("solve", d + "a.csv", "--policy", d + "p.toml"),
            ("p.toml", "options.partial", "'yes'"),
            files={"p.toml": (TOML + '[options]\npartial = "yes"\n').encode()},
        ),
    ]


def api(
    name: str, call: Callable[[], Any], error: type[BaseException], says: tuple[str, ...], objects: tuple[Any, ...] = ()
) -> Case:
    return Case(name, lambda _: call(), error, says, objects=objects)


def api_cases() -> list[Case]:
    p = allocator.load_example()
    df = p.to_frame()
    sol = allocator.solve(p)
    scen = weight_samples(p, 2, seed=1)
    return [
        api(
            "solve(str) (defect 14)",
            lambda: allocator.solve("problem"),
            TypeError,
            ("solve", "allocator.Problem", "str", "from_frame"),
        ),
        api(
            "rank_and_fund(DataFrame) (defect 14)",
            lambda: allocator.rank_and_fund(df),
            TypeError,
            ("rank_and_fund", "allocator.Problem", "DataFrame", "from_frame"),
            (df,),
        ),
        api(
            "run_scenarios with strings (defect 14)",
            lambda: allocator.run_scenarios(p, ["x"], progress=False),
            TypeError,
            ("scenarios[0]", "str", "'x'", "Scenario"),
        ),
        api(
            "run_scenarios with one scenario",
            lambda: allocator.run_scenarios(p, scen[0], progress=False),
            TypeError,
            ("list of Scenario",),
        ),
        api(
            "run_scenarios a thing as executor",
            lambda: allocator.run_scenarios(p, scen, executor=4, progress=False),
            TypeError,
            ("executor", "int"),
        ),
        api(
            "run_scenarios chunksize 0",
            lambda: allocator.run_scenarios(p, scen, executor=None, progress=False, chunksize=0),
            InputError,
            ("chunksize 0",),
        ),
        api(
            "run_scenarios timeout -1",
            lambda: allocator.run_scenarios(p, scen, progress=False, timeout=-1),
            InputError,
            ("time",),
        ),
        api("explain(str)", lambda: allocator.explain("p"), TypeError, ("explain", "allocator.Problem", "str")),
        api("check(DataFrame)", lambda: allocator.check(df, {}), TypeError, ("check", "DataFrame"), (df,)),
        api(
            "compare(problem, solution)",
            lambda: allocator.compare(p, sol),
            TypeError,
            ("compare", "Solution", "Problem"),
        ),
        api(
            "write_decisions(problem)",
            lambda: allocator.write_decisions(p, "x.csv"),
            TypeError,
            ("write_decisions", "Solution"),
        ),
        api("read_table(int)", lambda: allocator.read_table(5), TypeError, ("path", "int")),
        api("load_policy(int)", lambda: allocator.load_policy(5), TypeError, ("load_policy", "int")),
        api(
            "solve time_limit -1 (defect 15)",
            lambda: allocator.solve(p, time_limit=-1),
            InputError,
            ("time_limit -1", "positive"),
        ),
        api(
            "solve time_limit nan (defect 15)",
            lambda: allocator.solve(p, time_limit=float("nan")),
            InputError,
            ("time_limit nan",),
        ),
        api("solve time_limit text", lambda: allocator.solve(p, time_limit="10"), TypeError, ("time_limit", "str")),
        api("solve rel_gap -1 (defect 15)", lambda: allocator.solve(p, rel_gap=-1), InputError, ("rel_gap -1",)),
        api("solve rel_gap nan", lambda: allocator.solve(p, rel_gap=float("nan")), InputError, ("rel_gap nan",)),
        api("solve threads 0", lambda: allocator.solve(p, threads=0), InputError, ("threads 0",)),
        api("with_options partial yes", lambda: p.with_options(partial="yes"), InputError, ("partial", "'yes'")),
        api("with_frame 2**53", lambda: p.with_frame(2**53), InputError, ("frame", "largest amount")),
        api("with_weights nan", lambda: p.with_weights(green=float("nan")), InputError, ("weight", "nan")),
    ]


CASES = pb_cases() + toml_cases() + cli_cases() + api_cases()


def test_both_parts_of_the_catalogue_hold_at_least_100_cases() -> None:
    from tests.test_catalogue_tables import CASES as TABLES

    assert len(CASES) + len(TABLES) >= 150
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    check(case, tmp_path)
    assert issubclass(case.error, (AllocatorError, TypeError, CliRefused))


def test_a_dataframe_refused_by_every_reader_is_unchanged() -> None:
    df = pd.DataFrame({"id": ["A", "A"], "requested": ["kr 1 000", "2_000"], "green": [1.0, None]})
    before = df.copy(deep=True)
    with pytest.raises(InputError):
        allocator.Problem.from_frame(df, frame=3000, weights={"green": 1})
    pd.testing.assert_frame_equal(df, before)
