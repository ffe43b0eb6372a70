"""The ``demo`` and ``solve`` subcommands: read, solve, explain, print and write.

Each subcommand is registered by an ``add_...(sub, common)`` function that adds its parser
(``common`` holds the options every subcommand shares) and sets ``func``, called as
``func(args, stdout, stderr) -> exit code``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from allocator.analysis.baseline import rank_and_fund
from allocator.analysis.explain import explain
from allocator.analysis.frontier import frame_curve
from allocator.cli.errors import UsageError
from allocator.cli.format import (
    ROWS_SHOWN,
    format_decisions,
    format_explanations,
    format_summary,
)
from allocator.cli.options import amount, out_help, pair, scale
from allocator.data import example_metadata, load_example, load_example_policy
from allocator.exceptions import AllocatorError, InputError
from allocator.io.atomic import same_file
from allocator.io.policy import load_policy
from allocator.io.tables import read_problem, read_table, write_decisions
from allocator.model.problem import Problem
from allocator.model.solution import Solution
from allocator.optimize.solve import solve
from allocator.report import write_report
from allocator.rules.check import check
from allocator.rules.state_aid import state_aid_register

__all__ = ["CURVE_MAX_APPLICATIONS", "DEFAULT_DEMO_OUT", "OUT_SUFFIXES", "add_demo", "add_solve"]

OUT_SUFFIXES = (".csv", ".xlsx", ".json")
DEFAULT_DEMO_OUT = "allocator-demo.xlsx"
CURVE_MAX_APPLICATIONS = 500
"""Up to this many applications, an .xlsx report gets the frame curve chart (a few solves)."""


def add_demo(sub: Any, common: argparse.ArgumentParser) -> None:
    """``allocator demo``."""
    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="solve the embedded example call (VTFK 2022, round 2) and write an Excel report",
        description="Solve the embedded, illustrative example of Vestfold og Telemark's 2022 call for "
        "business networks and cluster funds (round 2, frame 2 300 000 kr).",
    )
    demo.add_argument(
        "--out",
        default=DEFAULT_DEMO_OUT,
        metavar="FILE",
        help=out_help(DEFAULT_DEMO_OUT),
    )
    demo.add_argument(
        "--rules",
        action="store_true",
        help="apply the example call's policy: co-financing, de minimis, caps per theme, partial funding",
    )
    demo.set_defaults(func=_cmd_demo)


def add_solve(sub: Any, common: argparse.ArgumentParser) -> None:
    """``allocator solve``."""
    p = sub.add_parser(
        "solve",
        parents=[common],
        help="solve a call from a table of applications (CSV, Excel, ODS or JSON)",
        description="Read applications from CSV (',' or ';' with decimal comma), Excel (.xlsx, .xls), "
        "OpenDocument (.ods) or JSON, find the best portfolio within the frame, and write the decisions.",
    )
    p.add_argument(
        "applications",
        metavar="APPLICATIONS",
        help="the table of applications (.csv, .xlsx, .xls, .ods or .json)",
    )
    p.add_argument(
        "--frame",
        type=amount,
        metavar="KR",
        help="the frame (total budget) in whole kroner",
    )
    p.add_argument(
        "--weight",
        action="append",
        type=pair("--weight", float, "green=0.4"),
        default=[],
        metavar="NAME=W",
        help="criterion weight, one per criterion column (repeat: --weight green=0.4 --weight smart=0.3)",
    )
    p.add_argument(
        "--scale",
        action="append",
        type=pair("--scale", scale, "green=1:7 or green=7"),
        default=[],
        metavar="NAME=MIN:MAX",
        help="the scale a criterion is scored on (default: one scale for all, 0 to the largest score in the table)",
    )
    p.add_argument(
        "--threshold",
        action="append",
        type=pair("--threshold", float, "green=3"),
        default=[],
        metavar="NAME=T",
        help="eligibility threshold on a criterion's raw score",
    )
    p.add_argument(
        "--min-total-score",
        type=float,
        metavar="X",
        help="eligibility threshold on the weighted score",
    )
    p.add_argument(
        "--column",
        action="append",
        type=pair("--column", str, "requested=Søknadsbeløp"),
        default=[],
        metavar="FIELD=HEADER",
        help="the table's header for a field or criterion (repeat: --column requested=Søknadsbeløp --column green='Grønn omstilling')",
    )
    p.add_argument(
        "--sheet",
        metavar="NAME",
        help="the sheet to read from a spreadsheet (default: the first)",
    )
    p.add_argument("--name", default="", help="the call's name, shown in the reports")
    p.add_argument(
        "--policy",
        metavar="FILE.toml",
        help="a policy file (frame, weights, scales, thresholds, columns, options, rules); "
        "the options given on the command line override it key by key",
    )
    p.add_argument("--out", metavar="FILE", help=out_help(None))
    p.set_defaults(func=_cmd_solve)


# ----------------------------------------------------------------- commands
def _check_out(out: str | None, inputs: tuple[str | None, ...] = ()) -> None:
    if out is None or out == "-":
        return
    path = Path(out)
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise UsageError(f"--out {out!r}: give a file ending in .csv, .xlsx or .json, or - for JSON on standard output")
    if not path.resolve().parent.is_dir():
        raise AllocatorError(f"--out {out!r}: the folder '{path.parent}' does not exist; create it or write elsewhere")
    if path.is_dir():
        raise AllocatorError(f"--out {out!r} is a folder; give a file name such as {path / 'decisions.xlsx'}")
    for what, given in zip(("applications table", "policy file"), inputs, strict=False):
        if given and same_file(out, given):  # the same path, a link to it or a hard link
            raise AllocatorError(
                f"--out {out!r} is the {what} {given!r}: writing the decisions there would replace it; "
                "give another file for --out, e.g. decisions.xlsx"
            )


def _solve(problem: Problem, args: argparse.Namespace) -> Solution:
    return solve(problem, solver=args.solver, time_limit=args.time_limit)


def _with_funding(problem: Problem, args: argparse.Namespace) -> Problem:
    opts: dict[str, Any] = {}
    if args.partial:
        opts["partial"] = True
    if args.step is not None:
        opts["step"] = args.step
    if getattr(args, "min_total_score", None) is not None:
        opts["min_total_score"] = args.min_total_score
    return problem.with_options(**opts) if opts else problem


def _where(args: argparse.Namespace) -> str:
    if args.out and args.out != "-":
        return Path(args.out).name
    return "--out FILE.xlsx"


def _report(
    problem: Problem,
    solution: Solution,
    args: argparse.Namespace,
    stdout: IO[str],
    stderr: IO[str],
) -> None:
    """Print the table and summary (and explanations), and write --out."""
    lang = args.lang
    human = stderr if args.out == "-" else stdout
    has = solution.status.has_solution
    baseline = rank_and_fund(problem) if has else None
    explanations = explain(problem, solution, lang=lang, time_limit=args.time_limit) if args.explain and has else None
    register = state_aid_register(solution, problem, eur_nok=args.eur_nok) if has else None
    where = _where(args)
    if not args.quiet and has:
        print(
            format_decisions(solution, lang, problem=problem, limit=ROWS_SHOWN, where=where),
            file=human,
        )
        print(file=human)
        if explanations is not None:
            print(
                format_explanations(solution, explanations, lang=lang, limit=2 * ROWS_SHOWN, where=where),
                file=human,
            )
            print(file=human)
    broken = check(problem, baseline).rules if baseline is not None and problem.rules else []
    print(
        format_summary(
            solution,
            baseline,
            broken=broken,
            lang=lang,
            problem=problem,
            where=where,
            flagged=register.flagged if register is not None else (),
        ),
        file=human,
    )
    if args.out is None:
        return
    if args.out == "-":
        stdout.write(solution.model_dump_json(indent=2) + "\n")
        stdout.flush()
        return
    path = Path(args.out)
    if path.suffix.lower() == ".xlsx":
        curve = (
            frame_curve(problem, n=12, time_limit=args.time_limit)
            if has and len(problem.applications) <= CURVE_MAX_APPLICATIONS
            else None
        )
        write_report(
            solution,
            path,
            problem=problem,
            baseline=baseline,
            explanations=explanations,
            frame_curve=curve,
            lang=lang,
            eur_nok=args.eur_nok,
        )
    else:
        write_decisions(solution, path)
    print(f"\n{'skrev' if lang == 'nb' else 'wrote'} {path.resolve()}", file=human)


def _cmd_demo(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    _check_out(args.out)
    problem = load_example()
    if args.rules:
        problem = load_example_policy().apply(problem)
    problem = _with_funding(problem, args)
    if args.lang == "nb":
        problem = problem.model_copy(update={"name": example_metadata().get("name_nb", problem.name)})
    human = stderr if args.out == "-" else stdout
    if args.lang == "nb":
        print(
            "Det innebygde eksempelet: Vestfold og Telemark fylkeskommune, bedriftsnettverk og klyngemidler 2022,",
            file=human,
        )
        print(
            f"runde 2 (ramme {problem.frame:,} kr). Søknadene er oppdiktet for eksempelet.\n".replace(",", " "),
            file=human,
        )
    else:
        print(
            "The embedded example: Vestfold og Telemark fylkeskommune, business networks and cluster funds 2022,",
            file=human,
        )
        print(
            f"round 2 (frame NOK {problem.frame:,}). The applications are illustrative, written for this example.\n",
            file=human,
        )
    _report(problem, _solve(problem, args), args, stdout, stderr)
    return 0


def _load_problem(args: argparse.Namespace) -> Problem:
    """Read APPLICATIONS: a table (needs --frame and --weight) or a whole Problem as JSON."""
    path = Path(args.applications)
    weights = dict(args.weight) or None
    table_kwargs: dict[str, Any] = dict(args.column)
    if args.scale:
        table_kwargs["scales"] = dict(args.scale)
    if args.threshold:
        table_kwargs["thresholds"] = dict(args.threshold)
    if args.sheet:
        table_kwargs["sheet"] = args.sheet
    if args.name:
        table_kwargs["name"] = args.name
    if path.suffix.lower() != ".json":
        if args.frame is None:
            raise UsageError("--frame is required: the frame (total budget) in whole kroner, e.g. --frame 2300000")
        if weights is None:
            raise UsageError(
                "give --weight NAME=W for each criterion column, e.g. --weight green=0.4 --weight smart=0.3"
            )
    try:
        return read_problem(path, frame=args.frame, weights=weights, **table_kwargs)
    except InputError as exc:
        if exc.column == "frame" and args.frame is None:
            raise UsageError(f"{path.name} is a table of applications: give --frame, e.g. --frame 2300000") from None
        if exc.column == "weights" and weights is None:
            raise UsageError(
                f"{path.name} is a table of applications: give --weight NAME=W for each criterion"
            ) from None
        raise


def _load_with_policy(args: argparse.Namespace) -> Problem:
    """Read APPLICATIONS with a policy file; the command line overrides it key by key."""
    policy = load_policy(args.policy)
    update: dict[str, Any] = {}
    if args.frame is not None:
        update["frame"] = args.frame
    if args.name:
        update["name"] = args.name
    for key, given in (
        ("weights", args.weight),
        ("scales", args.scale),
        ("thresholds", args.threshold),
        ("columns", args.column),
    ):
        if given:
            update[key] = getattr(policy, key) | dict(given)
    policy = policy.model_copy(update=update)
    path = Path(args.applications)
    if path.suffix.lower() == ".json":
        try:
            whole = read_problem(path)  # a whole Problem as JSON
        except InputError as exc:
            if exc.column not in ("frame", "weights"):
                raise
        else:
            return policy.apply(whole)
    return policy.apply(read_table(path, sheet=args.sheet))


def _cmd_solve(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    _check_out(args.out, (args.applications, args.policy))
    problem = _load_with_policy(args) if args.policy else _load_problem(args)
    problem = _with_funding(problem, args)
    _report(problem, _solve(problem, args), args, stdout, stderr)
    return 0
