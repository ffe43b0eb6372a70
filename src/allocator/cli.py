"""The command line: ``allocator demo``, ``allocator solve``, ``allocator serve``, and
``allocator robust`` / ``allocator draw`` (:mod:`allocator.cli_robust`).

Thin by design: parse the arguments, call the library, print. Every error a user can
cause ends as one line on standard error (``allocator: error: ...``) and a non-zero exit
code: 2 for a malformed command line, 1 for anything the library refuses
(:class:`~allocator.exceptions.AllocatorError`) or a file that cannot be read or written.
An unexpected exception shows its traceback only with ``--debug``.

With ``--out -`` the decisions go to standard output as JSON and nothing else does: the
human summary is written to standard error instead.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from allocator._version import __version__
from allocator.analysis.baseline import compare, rank_and_fund
from allocator.analysis.explain import explain
from allocator.data import load_example, load_example_policy
from allocator.exceptions import AllocatorError, InputError
from allocator.io.policy import load_policy
from allocator.io.tables import read_problem, read_table, write_decisions
from allocator.model.problem import Problem
from allocator.optimize.solve import solve
from allocator.report.excel import rules_broken, tie_break_text, write_report
from allocator.solution import Solution

__all__ = ["build_parser", "format_decisions", "format_explanations", "format_summary", "main"]

PROG = "allocator"
OUT_SUFFIXES = (".csv", ".xlsx", ".json")
DEFAULT_DEMO_OUT = "allocator-demo.xlsx"


class UsageError(Exception):
    """A malformed command line (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``allocator: error: ...`` and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# ----------------------------------------------------------------- argument types
def _amount(text: str) -> int:
    """Whole kroner: '2300000', '2 300 000', '2_300_000' or '2.3e6'."""
    cleaned = text.replace(" ", "").replace("_", "").replace("\u00a0", "")
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        value = float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount; give whole kroner, e.g. 2300000") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole amount; give whole kroner, e.g. 2300000")
    return int(value)


def _pair(kind: str, convert: Callable[[str], Any], example: str) -> Callable[[str], tuple[str, Any]]:
    def parse(text: str) -> tuple[str, Any]:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"{kind} {text!r} must look like {example}")
        try:
            return name.strip(), convert(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{kind} {text!r}: {value.strip()!r} is not valid; write it like {example}") from None

    return parse


def _scale(text: str) -> tuple[float, float]:
    """'1:7' (min and max) or '7' (max; min 0)."""
    lo, sep, hi = text.partition(":")
    return (float(lo), float(hi)) if sep else (0.0, float(lo))


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of seconds")
    return value


# ----------------------------------------------------------------- the parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``allocator`` command."""

    common = _Parser(add_help=False)
    common.add_argument("--partial", action="store_true", help="allow partial funding (between each minimum and the request)")
    common.add_argument("--step", type=_amount, metavar="KR", help="granularity of partial grants in kroner (default 10000)")
    common.add_argument("--solver", default="highs", choices=("highs", "cbc", "pulp-highs"),
                        help="MIP solver: HiGHS in-process (default), CBC through PuLP, or HiGHS through PuLP")
    common.add_argument("--time-limit", type=_positive, metavar="S", help="seconds; on time-out the best portfolio found is reported with its gap")
    common.add_argument("--explain", action="store_true",
                        help="say why each application was or was not funded, and by how much (printed, and a sheet of the .xlsx report)")
    common.add_argument("--lang", choices=("en", "nb"), default="en", help="language of the explanations: en (default) or nb (Norwegian)")
    common.add_argument("--quiet", "-q", action="store_true", help="print only the summary, not the decision table")
    common.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")

    parser = _Parser(prog=PROG, description="Decide how a public funding frame is best spent (an integer program over the applications).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    demo = sub.add_parser("demo", parents=[common], help="solve the embedded example call (VTFK 2022, round 2) and write an Excel report",
                          description="Solve the embedded, illustrative example of Vestfold og Telemark's 2022 call for "
                          "business networks and cluster funds (round 2, frame 2 300 000 kr).")
    demo.add_argument("--out", default=DEFAULT_DEMO_OUT, metavar="FILE",
                      help=f"where to write the decisions: .xlsx (report), .csv or .json, or - for JSON on stdout (default {DEFAULT_DEMO_OUT})")
    demo.add_argument("--rules", action="store_true",
                      help="apply the example call's policy: co-financing, de minimis, caps per theme, partial funding")
    demo.set_defaults(func=_cmd_demo)

    solve = sub.add_parser("solve", parents=[common], help="solve a call from a table of applications (CSV, XLSX or JSON)",
                           description="Read applications from CSV (',' or ';' with decimal comma), XLSX or JSON, find the best "
                           "portfolio within the frame, and write the decisions.")
    solve.add_argument("applications", metavar="APPLICATIONS", help="the table of applications (.csv, .xlsx or .json)")
    solve.add_argument("--frame", type=_amount, metavar="KR", help="the frame (total budget) in whole kroner")
    solve.add_argument("--weight", action="append", type=_pair("--weight", float, "green=0.4"), default=[], metavar="NAME=W",
                       help="criterion weight, one per criterion column (repeat: --weight green=0.4 --weight smart=0.3)")
    solve.add_argument("--scale", action="append", type=_pair("--scale", _scale, "green=1:7 or green=7"), default=[], metavar="NAME=MIN:MAX",
                       help="the scale a criterion is scored on (default 0 to the column's maximum)")
    solve.add_argument("--threshold", action="append", type=_pair("--threshold", float, "green=3"), default=[], metavar="NAME=T",
                       help="eligibility threshold on a criterion's raw score")
    solve.add_argument("--min-total-score", type=float, metavar="X", help="eligibility threshold on the weighted score")
    solve.add_argument("--column", action="append", type=_pair("--column", str, "requested=Søknadsbeløp"), default=[], metavar="FIELD=HEADER",
                       help="the table's header for a field or criterion (repeat: --column requested=Søknadsbeløp --column green='Grønn omstilling')")
    solve.add_argument("--sheet", metavar="NAME", help="the sheet to read from an .xlsx file (default: the first)")
    solve.add_argument("--name", default="", help="the call's name, shown in the reports")
    solve.add_argument("--policy", metavar="FILE.toml",
                       help="a policy file (frame, weights, scales, thresholds, columns, options, rules); "
                       "the options given on the command line override it key by key")
    solve.add_argument("--out", metavar="FILE", help="write the decisions to FILE (.csv, .xlsx report or .json), or - for JSON on stdout")
    solve.set_defaults(func=_cmd_solve)

    from allocator.server.settings import add_arguments as serve_arguments  # standard library only

    serve = sub.add_parser("serve", help="run the HTTP service and the advisers' page (needs: pip install 'allocator[server]')",
                           description="Serve the HTTP API (/docs), jobs kept in SQLite, and the advisers' page at /. "
                           "Every flag also has an ALLOCATOR_* environment variable (ALLOCATOR_API_TOKEN for the token).")
    serve_arguments(serve)
    serve.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")
    serve.set_defaults(func=_cmd_serve)

    from allocator.cli_robust import add_commands

    add_commands(sub, lambda args: _load_with_policy(args) if args.policy else _load_problem(args))
    return parser


# ----------------------------------------------------------------- formatting
def _kr(amount: int) -> str:
    return f"{amount:,}".replace(",", " ")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_decisions(solution: Solution) -> str:
    """The decision table: funded applications first, then the others, each by score (highest first).

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application, solve
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 9}),
    ...                   Application(id="B", requested=50, scores={"g": 6})])
    >>> table = format_decisions(solve(p))
    >>> [line.split()[:2] for line in table.splitlines()[1:]]
    [['--', 'funded'], ['A', '60'], ['--', 'not'], ['B', '50']]
    """
    cols = (("id", 8), ("title", 34), ("category", 16), ("requested kr", 12), ("granted kr", 12), ("score", 6), ("reason", 16))
    ids = max([len(d.id) for d in solution.decisions] + [2])
    widths = [min(ids, 16)] + [w for _, w in cols[1:]]
    head = "  ".join(h.rjust(w) if h.endswith("kr") or h == "score" else h.ljust(w) for (h, _), w in zip(cols, widths, strict=True))
    lines = [head.rstrip()]
    funded = sorted((d for d in solution.decisions if d.funded), key=lambda d: (-d.score, d.rank))
    others = sorted((d for d in solution.decisions if not d.funded), key=lambda d: (-d.score, d.rank))
    for group, label in ((funded, "funded"), (others, "not funded")):
        if not group:
            continue
        tag = f"-- {label} ({len(group)}) "
        lines.append(tag + "-" * max(0, len(head) - len(tag)))
        for d in group:
            cells = [
                _cut(d.id, widths[0]).ljust(widths[0]),
                _cut(d.title, widths[1]).ljust(widths[1]),
                _cut(d.category, widths[2]).ljust(widths[2]),
                _kr(d.requested).rjust(widths[3]),
                _kr(d.granted).rjust(widths[4]),
                f"{d.score:.3f}".rjust(widths[5]),
                d.reason.value,
            ]
            lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def format_summary(solution: Solution, baseline: Solution | None = None, *, broken: Sequence[str] = ()) -> str:
    """Status, value, totals, solver and time; with the rank-and-fund comparison when given.

    ``broken`` lists the call's rules that the baseline breaks (rank-and-fund ignores them).
    """

    s = solution
    lines = [f"call           {s.problem_name or '(unnamed)'}"]
    status = s.status.value
    if s.status.value == "optimal":
        status += " (proven)"
    elif s.gap is not None:
        status += f" (gap {s.gap:.3%})"
    lines.append(f"status         {status}")
    if s.status.has_solution:
        lines += [
            f"value          {s.objective:.4f}  (sum of weighted scores x share granted; not funding = 0)",
            f"funded         {s.n_funded} of {len(s.decisions)} applications",
            f"total granted  {_kr(s.total_granted)} kr of the frame {_kr(s.frame)} kr ({_kr(s.frame_left)} kr left)",
            f"tie-break      {tie_break_text(s.tie_break)}",
        ]
    if s.binding_rules:
        lines.append(f"binding rules  {'; '.join(s.binding_rules)}")
    lines.append(f"solver         {(s.solver + ' ' + s.solver_version).strip()}, {s.runtime_s:.2f} s, {s.solves} solve(s)")
    if baseline is not None and s.status.has_solution:
        c = compare(s, baseline)
        pct = f" ({c.improvement_pct:+.1f} %)" if c.improvement_pct is not None else ""
        lines += [
            "",
            "Compared with ranking by score and funding down the list:",
            f"  rank and fund  value {c.baseline_value:.4f}, {_kr(c.baseline_granted)} kr granted",
            f"  optimal        value {c.optimal_value:.4f}, {_kr(c.optimal_granted)} kr granted",
            f"  gain           {c.improvement:+.4f}{pct}",
        ]
        for label, ids in (
            ("funded only by the optimum", c.only_optimal),
            ("funded only by rank and fund", c.only_baseline),
            ("funded at another amount", c.different_amount),
        ):
            if ids:
                lines.append(f"  {label}: {', '.join(ids)}")
        if not (c.only_optimal or c.only_baseline or c.different_amount):
            lines.append("  the two portfolios are the same")
        if broken:
            lines.append(f"  rank and fund still breaks (a list cannot meet every floor): {'; '.join(broken)}")
    return "\n".join(lines)


# ----------------------------------------------------------------- commands
def _check_out(out: str | None) -> None:
    if out is None or out == "-":
        return
    path = Path(out)
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise UsageError(f"--out {out!r}: give a file ending in .csv, .xlsx or .json, or - for JSON on standard output")
    if not path.resolve().parent.is_dir():
        raise AllocatorError(f"--out {out!r}: the folder '{path.parent}' does not exist; create it or write elsewhere")
    if path.is_dir():
        raise AllocatorError(f"--out {out!r} is a folder; give a file name such as {path / 'decisions.xlsx'}")


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


def format_explanations(solution: Solution, explanations: Any, *, width: int = 100) -> str:
    """One sentence per application, in the order of :func:`format_decisions`."""
    import textwrap

    sentences = dict(zip(explanations["id"], explanations["sentence"], strict=True))
    order = sorted(solution.decisions, key=lambda d: (not d.funded, -d.score, d.rank))
    ids = max([len(d.id) for d in order] + [2])
    lines = ["Why:"]
    for d in order:
        text = textwrap.fill(str(sentences.get(d.id, "")), width=width, initial_indent=f"  {d.id.ljust(ids)}  ",
                             subsequent_indent=" " * (ids + 4))
        lines.append(text)
    return "\n".join(lines)


def _report(problem: Problem, solution: Solution, args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> None:
    """Print the table and summary (and explanations), and write --out."""

    human = stderr if args.out == "-" else stdout
    baseline = rank_and_fund(problem)
    explanations = None
    if args.explain and solution.status.has_solution:

        explanations = explain(problem, solution, lang=args.lang, time_limit=args.time_limit)
    if not args.quiet:
        print(format_decisions(solution), file=human)
        print(file=human)
        if explanations is not None:
            print(format_explanations(solution, explanations), file=human)
            print(file=human)
    print(format_summary(solution, baseline, broken=rules_broken(problem, baseline)), file=human)
    if args.out is None:
        return
    if args.out == "-":
        stdout.write(solution.model_dump_json(indent=2) + "\n")
        stdout.flush()
        return
    path = Path(args.out)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":

        write_report(solution, path, problem=problem, baseline=baseline, explanations=explanations)
    else:

        write_decisions(solution, path)
    print(f"\nwrote {path.resolve()}", file=human)


def _cmd_demo(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:

    _check_out(args.out)
    problem = load_example()
    if args.rules:

        problem = load_example_policy().apply(problem)
    problem = _with_funding(problem, args)
    human = stderr if args.out == "-" else stdout
    print("The embedded example: Vestfold og Telemark fylkeskommune, business networks and cluster funds 2022,", file=human)
    print(f"round 2 (frame {_kr(problem.frame)} kr). The applications are illustrative, written for this example.\n", file=human)
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
            raise UsageError("give --weight NAME=W for each criterion column, e.g. --weight green=0.4 --weight smart=0.3")
    try:
        return read_problem(path, frame=args.frame, weights=weights, **table_kwargs)
    except InputError as exc:
        if exc.column == "frame" and args.frame is None:
            raise UsageError(f"{path.name} is a table of applications: give --frame, e.g. --frame 2300000") from None
        if exc.column == "weights" and weights is None:
            raise UsageError(f"{path.name} is a table of applications: give --weight NAME=W for each criterion") from None
        if "missing column" in str(exc):
            raise InputError(f"{exc} (on the command line: --column NAME=HEADER)", row=exc.row, column=exc.column, value=exc.value) from None
        raise


def _load_with_policy(args: argparse.Namespace) -> Problem:
    """Read APPLICATIONS with a policy file; the command line overrides it key by key."""

    policy = load_policy(args.policy)
    update: dict[str, Any] = {}
    if args.frame is not None:
        update["frame"] = args.frame
    if args.name:
        update["name"] = args.name
    for key, given in (("weights", args.weight), ("scales", args.scale), ("thresholds", args.threshold), ("columns", args.column)):
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
    _check_out(args.out)
    problem = _load_with_policy(args) if args.policy else _load_problem(args)
    problem = _with_funding(problem, args)
    _report(problem, _solve(problem, args), args, stdout, stderr)
    return 0


def _cmd_serve(args: argparse.Namespace, stdout: IO[str], stderr: IO[str]) -> int:
    from allocator.server.main import serve

    return serve(args, stderr=stderr)


# ----------------------------------------------------------------- entry point
def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 refused or failed, 2 usage error).

    Parameters
    ----------
    argv
        The arguments (default ``sys.argv[1:]``).
    stdout, stderr
        Where to print (default the process's streams).
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        try:
            with contextlib.redirect_stdout(out):  # --help and --version print to ``stdout``
                args = build_parser().parse_args(args_list)
        except SystemExit as exc:
            return int(exc.code or 0)
        result: int = args.func(args, out, err)
        return result
    except UsageError as exc:
        print(f"{PROG}: error: {_one_line(str(exc))}", file=err)
        return 2
    except AllocatorError as exc:
        print(f"{PROG}: error: {_one_line(str(exc))}", file=err)
        return 1
    except BrokenPipeError:
        return 1
    except OSError as exc:
        where = f" '{exc.filename}'" if exc.filename else ""
        print(f"{PROG}: error: cannot use{where}: {_one_line(exc.strerror or str(exc))}", file=err)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=err)
        return 130
    except Exception as exc:
        if debug:
            raise
        print(f"{PROG}: error: unexpected {type(exc).__name__}: {_one_line(str(exc))} "
              "(run again with --debug for the traceback, and please report it)", file=err)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
