"""``allocator robust`` and ``allocator draw``: robustness and the draw on the command line.

Both read the call like ``allocator solve`` (a table with ``--frame`` and ``--weight``, a
whole problem as JSON, or ``--policy FILE.toml``; ``--demo`` for the embedded example with
its rules), and the uncertainty from the policy's ``[robustness]`` table, overridden by
``--order``, ``--interval``, ``--constraint`` and ``--plus-minus``. Robustness selects whole
applications: a policy asking for partial funding is set aside, with a note.

``allocator robust`` prints each application's class (core, borderline, exterior), core
index, acceptability (``--samples N``) and inclusion probability in the draw, and writes
``--out`` (.xlsx report with a Robustness sheet, .json, .csv, or - for JSON on stdout).

``allocator draw`` publishes the plan (classes and inclusion probabilities) and, with
``--seed``, makes the draw and writes its record (``--out record.json``);
``--verify record.json`` repeats a recorded draw and says whether it matches.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from allocator.exceptions import InputError

if TYPE_CHECKING:
    from allocator.model import Problem
    from allocator.robust import Robustness, Uncertainty

__all__ = ["add_commands", "format_robustness"]

Loader = Callable[[argparse.Namespace], "Problem"]


def _pair(text: str) -> tuple[str, tuple[float, float]]:
    name, sep, rng = text.partition("=")
    lo, sep2, hi = rng.partition(":")
    try:
        if not sep or not sep2:
            raise ValueError
        return name.strip(), (float(lo), float(hi))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--interval {text!r} must look like green=0.2:0.6") from None


def add_commands(sub: Any, load: Loader) -> None:
    """Add the ``robust`` and ``draw`` subcommands; ``load(args)`` reads the problem."""
    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument(
        "applications", metavar="APPLICATIONS", nargs="?", help="the table of applications (.csv, .xlsx or .json)"
    )
    inputs.add_argument(
        "--demo", action="store_true", help="the embedded example call with its rules and its [robustness] table"
    )
    inputs.add_argument("--frame", type=int, metavar="KR", help="the frame in whole kroner")
    inputs.add_argument(
        "--weight", action="append", type=_kv(float), default=[], metavar="NAME=W", help="criterion weight"
    )
    inputs.add_argument(
        "--scale", action="append", type=_kv(_scale), default=[], metavar="NAME=MIN:MAX", help="a criterion's scale"
    )
    inputs.add_argument(
        "--threshold", action="append", type=_kv(float), default=[], metavar="NAME=T", help="eligibility threshold"
    )
    inputs.add_argument(
        "--min-total-score", type=float, metavar="X", help="eligibility threshold on the weighted score"
    )
    inputs.add_argument(
        "--column",
        action="append",
        type=_kv(str),
        default=[],
        metavar="FIELD=HEADER",
        help="the table's header for a field",
    )
    inputs.add_argument("--sheet", metavar="NAME", help="the sheet of an .xlsx file")
    inputs.add_argument("--name", default="", help="the call's name")
    inputs.add_argument(
        "--policy", metavar="FILE.toml", help="a policy file; its [robustness] table gives the uncertainty"
    )
    inputs.add_argument("--order", metavar="'A >= B >= others'", help="rank order of the weights, most important first")
    inputs.add_argument(
        "--interval",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=LOW:HIGH",
        help="interval of a weight share",
    )
    inputs.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar="'green <= 0.5'",
        help="a linear inequality on the weight shares",
    )
    inputs.add_argument("--plus-minus", type=float, metavar="D", help="every score may be D points off either way")
    inputs.add_argument(
        "--reviews",
        metavar="FILE",
        help="one row per review (id and each criterion's score): intervals from the reviewers' spread",
    )
    inputs.add_argument("--reviews-id", default="id", metavar="HEADER", help="the id column of --reviews (default id)")
    inputs.add_argument(
        "--limit", type=int, default=None, metavar="N", help="most non-dominated portfolios to list (default 5000)"
    )
    inputs.add_argument("--lang", choices=("en", "nb"), default="en", help="language of the table and the workbook")
    inputs.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="seconds for the exact classes; open ones are reported undecided (and a draw refuses to run)",
    )
    inputs.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")

    rob = sub.add_parser(
        "robust",
        parents=[inputs],
        help="which grants hold under any reasonable weights and scores",
        description="Exact robustness (non-dominated portfolios, core index, class of each application), "
        "sampled acceptability and the draw's inclusion probabilities.",
    )
    rob.add_argument(
        "--samples", type=int, default=0, metavar="N", help="sampled acceptability with N draws of weights and scores"
    )
    rob.add_argument("--seed", type=int, default=0, help="seed of the sampling (not of the draw)")
    rob.add_argument("--workers", type=int, default=0, metavar="N", help="solve sampled scenarios on N processes")
    rob.add_argument("--out", metavar="FILE", help="write .xlsx (report), .json, .csv, or - for JSON on stdout")
    rob.set_defaults(func=lambda a, o, e: _cmd_robust(a, o, e, load))

    drw = sub.add_parser(
        "draw",
        parents=[inputs],
        help="a verifiable draw among the borderline applications",
        description="Publish the plan (classes, inclusion probabilities); with --seed make the draw "
        "(SHA-256 priority order, every rule respected) and write its record.",
    )
    drw.add_argument(
        "--seed", metavar="TEXT", help="the public seed fixed before the draw, e.g. the dice: '3 6 1 4 4 2'"
    )
    drw.add_argument("--out", metavar="FILE.json", help="write the plan or the record as JSON (- for stdout)")
    drw.add_argument("--verify", metavar="RECORD.json", help="repeat a recorded draw and check that it matches")
    drw.set_defaults(func=lambda a, o, e: _cmd_draw(a, o, e, load))


def _kv(convert: Callable[[str], Any]) -> Callable[[str], tuple[str, Any]]:
    def parse(text: str) -> tuple[str, Any]:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"{text!r} must look like NAME=VALUE")
        try:
            return name.strip(), convert(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: {value!r} is not valid") from None

    return parse


def _kr(v: int) -> str:
    return f"{v:,}".replace(",", " ")


def _scale(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    return (float(lo), float(hi)) if sep else (0.0, float(lo))


def _inputs(args: argparse.Namespace, load: Loader, err: IO[str]) -> tuple[Problem, Uncertainty, dict[str, Any]]:
    from allocator.robust import Uncertainty, WeightInfo, uncertainty_from_policy

    if args.demo:
        from allocator.data import EXAMPLE_POLICY, load_example, load_example_policy

        problem = load_example_policy().apply(load_example())
        policy_source: Any = load_example_policy()
        args.policy = args.policy or str(EXAMPLE_POLICY)
    else:
        if not args.applications:
            raise InputError("give APPLICATIONS (a table or a problem as JSON), or --demo for the example call")
        problem = load(args)
        policy_source = None
        if args.policy:
            from allocator.io import load_policy

            policy_source = load_policy(args.policy)
    if args.min_total_score is not None:
        problem = problem.with_options(min_total_score=args.min_total_score)
    if problem.options.partial:
        print("note: robustness and the draw select whole applications; partial funding is set aside", file=err)
        problem = problem.with_options(partial=False)
    settings: dict[str, Any] = {}
    if policy_source is not None and policy_source.robustness:
        u, settings = uncertainty_from_policy(policy_source)
    else:
        u = Uncertainty()
    w = u.weights
    upd: dict[str, Any] = {}
    if args.order:
        upd["order"] = args.order
    if args.interval:
        upd["intervals"] = dict(w.intervals) | dict(args.interval)
    if args.constraint:
        upd["constraints"] = (*w.constraints, *args.constraint)
    if upd:
        u = Uncertainty(weights=WeightInfo(**(w.model_dump() | upd)), scores=u.scores)
    if args.reviews:
        from allocator.io import read_table
        from allocator.robust import ScoreIntervals

        headers = dict(args.column)
        if policy_source is not None:
            headers = dict(policy_source.columns) | headers
        mapping = {c.name: headers.get(c.name, c.name) for c in problem.criteria}
        given = ScoreIntervals.from_reviews(read_table(args.reviews), id=args.reviews_id, criteria=mapping)
        u = Uncertainty(
            weights=u.weights,
            scores=u.scores.model_copy(update={"intervals": dict(u.scores.intervals) | given.intervals}),
        )
    if args.plus_minus is not None:
        u = Uncertainty(weights=u.weights, scores=u.scores.model_copy(update={"plus_minus": args.plus_minus}))
    if args.limit is not None:
        settings["limit"] = args.limit
    return problem, u, settings


def format_robustness(r: Robustness, lang: str = "en") -> str:
    """The per-application table and a summary, as text."""
    df = r.to_frame(lang="nb" if lang == "nb" else "en")
    cols = list(df.columns)
    keep = [c for c in cols if c not in (cols[1], cols[10])]  # without title and the long weights column
    shown = df[keep].copy()
    for c in keep[3:]:
        if c != keep[-1]:
            shown[c] = [("" if v is None else f"{v:.3f}") for v in shown[c]]
    lines = [shown.to_string(index=False)]
    lines.append("")
    lines.append(repr(r))
    rep = r.report()
    if rep.notes:
        lines += [f"note: {n}" for n in rep.notes]
    return "\n".join(lines)


def _cmd_robust(args: argparse.Namespace, out: IO[str], err: IO[str], load: Loader) -> int:
    from allocator.robust import robust

    problem, u, settings = _inputs(args, load, err)
    human = err if args.out == "-" else out
    executor = None
    if args.workers and args.workers > 1:
        from allocator.scenarios import process_pool

        executor = process_pool(args.workers)
    try:
        r = robust(
            problem,
            u,
            limit=settings.get("limit", 5000),
            time_limit=args.time_limit,
            samples=args.samples,
            seed=args.seed,
            executor=executor,
        )
    finally:
        if executor is not None:
            executor.shutdown()
    print(format_robustness(r, args.lang), file=human)
    if args.out is None:
        return 0
    if args.out == "-":
        out.write(r.report().model_dump_json(indent=2) + "\n")
        return 0
    path = Path(args.out)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(r.report().model_dump_json(indent=2) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        r.to_frame(lang=args.lang).to_csv(path, index=False)
    elif suffix == ".xlsx":
        from allocator.optimize import solve
        from allocator.report import write_report
        from allocator.robust.excel import sheet_writer

        write_report(solve(problem), path, problem=problem, lang=args.lang, extra_sheets=[sheet_writer(r)])
    else:
        raise InputError(
            f"--out {args.out!r}: give a file ending in .xlsx, .json or .csv, or - for JSON on standard output"
        )
    print(f"\nwrote {path.resolve()}", file=human)
    return 0


def _cmd_draw(args: argparse.Namespace, out: IO[str], err: IO[str], load: Loader) -> int:
    from allocator.robust import DrawRecord, Lottery

    problem, u, _ = _inputs(args, load, err)
    human = err if args.out == "-" else out
    if args.verify:
        try:
            record = DrawRecord.model_validate_json(Path(args.verify).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"--verify {args.verify!r}: not a draw record ({exc})") from None
        lot = Lottery(problem, u, plan=record.plan)
        again = lot.draw(record.seed)
        same = again.model_dump(exclude={"plan"}) == record.model_dump(exclude={"plan"})
        print(
            f"the draw {'matches' if same else 'does NOT match'} the record (seed '{record.seed}', funded {', '.join(again.funded)})",
            file=human,
        )
        return 0 if same else 1
    from allocator.robust import classify

    lot = Lottery(problem, u, result=classify(problem, u, time_limit=args.time_limit))
    plan = lot.plan
    print(f"input hash {plan.input_hash}", file=human)
    print(f"core (funded): {', '.join(plan.core) or '-'}", file=human)
    print(f"exterior (not funded): {', '.join(plan.exterior) or '-'}", file=human)
    kind = "exact" if plan.exact else f"estimated from {plan.simulations} orders"
    print(f"borderline, inclusion probability ({kind}):", file=human)
    for b in plan.borderline:
        se = f" ± {plan.se[b]:.4f}" if b in plan.se else ""
        frac = f" ({plan.fractions[b]})" if b in plan.fractions else ""
        print(f"  {b}  {plan.probabilities[b]:.4f}{se}{frac}", file=human)
    if args.seed is None:
        payload = plan.model_dump_json(indent=2)
        print("\nno --seed: this is the plan to publish before the draw", file=human)
    else:
        record = lot.draw(args.seed)
        print(f"\nseed '{record.seed}': order {', '.join(record.order)}", file=human)
        print(
            f"drawn: {', '.join(record.drawn) or '-'}; funded in all {len(record.funded)} "
            f"({_kr(record.total_granted)} of {_kr(record.frame)} kr)",
            file=human,
        )
        payload = record.model_dump_json(indent=2)
    if args.out == "-":
        out.write(payload + "\n")
    elif args.out:
        Path(args.out).write_text(payload + "\n", encoding="utf-8")
        print(f"wrote {Path(args.out).resolve()}", file=human)
    return 0
