"""Pabulib benchmark: allocator against the reference optima and pabutools' optimal rule.

For every instance listed in ``../shared/data/pabulib/reference.csv`` it measures, in one run:

* allocator: ``read_pabulib`` (load) and ``solve`` (HiGHS, proven optimum, exact tie-break),
  and the funded projects' total score against ``optimal_total_score``;
* pabutools (only where it is installed; it is not a dependency of allocator): its own
  parser and its optimal rule, ``max_additive_utilitarian_welfare`` with the cardinality
  satisfaction (approval, choose-1, ordinal) or the additive cardinal satisfaction
  (cumulative), through its ILP path by default (its primal/dual default can lose optimality
  with fractional scores; ``--pabutools-algo primal-dual`` selects it anyway). The ILP path
  calls ``PULP_CBC_CMD``, which exists in PuLP 3 only: run this under Python 3.11.

It prints one line per instance, the totals and the ratios pabutools / allocator (rule vs
solve, and end to end from the file), and writes ``benchmarks/results/pabulib.csv``. The exit
status is 1 if allocator misses a reference optimum.

Usage::

    python benchmarks/bench_pabulib.py                  # everything (pabutools takes minutes)
    python benchmarks/bench_pabulib.py --only Zurich    # instances whose file name contains it
    python benchmarks/bench_pabulib.py --no-pabutools   # allocator only
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import allocator
from allocator.io.pabulib import parse_pabulib

__all__ = ["Row", "main", "run_allocator", "run_pabutools"]

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "pabulib"
OUT = ROOT / "benchmarks" / "results" / "pabulib.csv"


@dataclass
class Row:
    """One instance: sizes, allocator's and pabutools' times and values, the reference."""

    file: str
    vote_type: str
    n_projects: int
    n_voters: int
    reference: int
    load_s: float
    solve_s: float
    value: int
    cost: int
    budget: int
    ok: bool
    pabutools_parse_s: float | None = None
    pabutools_rule_s: float | None = None
    pabutools_value: int | None = None
    pabutools_ok: bool | None = None
    pabutools_error: str = ""


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def run_allocator(path: Path) -> tuple[float, float, int, int, int, dict[str, int], Any]:
    """Load and solve one file: (load s, solve s, total score, cost, frame, scores, parsed file)."""
    t0 = time.perf_counter()
    parsed = parse_pabulib(path)
    problem = parsed.to_problem()
    t1 = time.perf_counter()
    solution = allocator.solve(problem)
    t2 = time.perf_counter()
    if solution.status is not allocator.Status.OPTIMAL:
        raise RuntimeError(f"{path.name}: {solution.status.value}: {solution.message}")
    votes = {a.id: int(a.attributes["votes"]) for a in problem.applications}  # type: ignore[arg-type]
    value = sum(votes[i] for i in solution.funded_ids)
    return t1 - t0, t2 - t1, value, solution.total_granted, problem.frame, votes, parsed


def run_pabutools(path: Path, votes: dict[str, int], algo: str) -> tuple[float, float, int]:
    """pabutools' parser and optimal rule on one file: (parse s, rule s, total score)."""
    from pabutools.election import Additive_Cardinal_Sat, Cardinality_Sat, parse_pabulib
    from pabutools.rules import MaxAddUtilWelfareAlgo, max_additive_utilitarian_welfare

    t0 = time.perf_counter()
    instance, profile = parse_pabulib(str(path))
    t1 = time.perf_counter()
    points = instance.meta["vote_type"] in ("cumulative", "scoring")
    inner = MaxAddUtilWelfareAlgo.ILP_SOLVER if algo == "ilp" else MaxAddUtilWelfareAlgo.PRIMAL_DUAL
    outcome = max_additive_utilitarian_welfare(
        instance, profile, sat_class=Additive_Cardinal_Sat if points else Cardinality_Sat, inner_algo=inner
    )
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, sum(votes[p.name] for p in outcome)


def _reference(data: Path) -> list[dict[str, str]]:
    with (data / "reference.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fmt(x: float | None, width: int = 8, digits: int = 3) -> str:
    return f"{'-':>{width}}" if x is None else f"{x:{width}.{digits}f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table and write the CSV. Returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="folder with the .pb files and reference.csv")
    ap.add_argument("--only", default="", help="only files whose name contains this text")
    ap.add_argument("--no-pabutools", action="store_true", help="skip pabutools even if installed")
    ap.add_argument("--pabutools-algo", choices=("ilp", "primal-dual"), default="ilp")
    ap.add_argument("--out", type=Path, default=OUT, help="CSV to write")
    args = ap.parse_args(argv)

    if not (args.data / "reference.csv").is_file():
        print(f"no Pabulib data in {args.data}; nothing to measure")
        return 0
    pabutools = not args.no_pabutools
    if pabutools and importlib.util.find_spec("pabutools") is None:
        print("pabutools is not installed: its columns are left empty (pip install pabutools)")
        pabutools = False

    print(
        f"Python {platform.python_version()}, allocator {allocator.__version__}, highspy {_version('highspy')}, "
        f"PuLP {_version('pulp')}, pabutools {_version('pabutools') if pabutools else '-'} "
        f"({args.pabutools_algo if pabutools else 'not run'})"
    )
    head = (
        f"{'instance':44} {'type':10} {'proj':>4} {'voters':>7} {'load s':>8} {'solve s':>8} "
        f"{'value':>7} {'ref':>7} {'ok':>3} | {'pb parse':>8} {'pb rule':>8} {'pb value':>8} {'ok':>3}"
    )
    print(head)
    print("-" * len(head))
    rows: list[Row] = []
    for ref in _reference(args.data):
        if args.only and args.only not in ref["file"]:
            continue
        path = args.data / ref["file"]
        load_s, solve_s, value, cost, frame, votes, parsed = run_allocator(path)
        target = int(ref["optimal_total_score"])
        row = Row(
            file=ref["file"],
            vote_type=parsed.vote_type,
            n_projects=len(parsed.projects),
            n_voters=parsed.n_voters,
            reference=target,
            load_s=load_s,
            solve_s=solve_s,
            value=value,
            cost=cost,
            budget=frame,
            ok=value == target and cost <= frame,
        )
        if pabutools:
            try:
                row.pabutools_parse_s, row.pabutools_rule_s, row.pabutools_value = run_pabutools(
                    path, votes, args.pabutools_algo
                )
                row.pabutools_ok = row.pabutools_value == target
            except Exception as exc:  # report and go on: the peer's failure is a result too
                row.pabutools_error = f"{type(exc).__name__}: {exc}"[:200]
        rows.append(row)
        pok = "" if row.pabutools_ok is None else ("yes" if row.pabutools_ok else "NO")
        print(
            f"{row.file.removesuffix('.pb')[:44]:44} {row.vote_type:10} {row.n_projects:4d} {row.n_voters:7d} "
            f"{_fmt(load_s)} {_fmt(solve_s)} {value:7d} {target:7d} {'yes' if row.ok else 'NO':>3} | "
            f"{_fmt(row.pabutools_parse_s)} {_fmt(row.pabutools_rule_s)} "
            f"{row.pabutools_value if row.pabutools_value is not None else '-':>8} {pok:>3}"
            + (f"  {row.pabutools_error}" if row.pabutools_error else ""),
            flush=True,
        )
    if not rows:
        print("no instance matched")
        return 0

    load = sum(r.load_s for r in rows)
    solve = sum(r.solve_s for r in rows)
    n_ok = sum(r.ok for r in rows)
    print("-" * len(head))
    print(
        f"allocator: {n_ok}/{len(rows)} reference optima; load {load:.2f} s + solve {solve:.2f} s = {load + solve:.2f} s"
    )
    timed = [r for r in rows if r.pabutools_rule_s is not None]
    if timed:
        p_parse = sum(r.pabutools_parse_s or 0.0 for r in timed)
        p_rule = sum(r.pabutools_rule_s or 0.0 for r in timed)
        a_load = sum(r.load_s for r in timed)
        a_solve = sum(r.solve_s for r in timed)
        p_ok = sum(bool(r.pabutools_ok) for r in timed)
        print(
            f"pabutools: {p_ok}/{len(timed)} reference optima; parse {p_parse:.2f} s + rule {p_rule:.2f} s = "
            f"{p_parse + p_rule:.2f} s"
        )
        print(
            f"ratio pabutools / allocator, optimal rule vs solve:   {p_rule / a_solve:8.1f}x  (same {len(timed)} instances)"
        )
        print(f"ratio pabutools / allocator, file to optimum:         {(p_parse + p_rule) / (a_load + a_solve):8.1f}x")
    failed = [r for r in rows if r.pabutools_error]
    if failed:
        print(f"pabutools failed on {len(failed)} instance(s): {', '.join(r.file for r in failed)}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=[f.name for f in fields(Row)])
        w.writeheader()
        for r in rows:
            d = asdict(r)
            w.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in d.items()})
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if n_ok == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
