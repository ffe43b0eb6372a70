"""Explanations and the frame curve on the embedded example call: must total under one second.

Times, on ``allocator.load_example()`` (26 applications, frame 2 300 000 kr):

* ``solve`` (for reference; explain is given its solution),
* ``explain`` (every margin, largest grant, displacement and both sentences),
* ``frame_curve`` (25 grid frames plus the call's own, beside rank-and-fund),
* the requirement: ``explain + frame_curve`` under one second,
* ``explain`` with the example's policy (partial funding in 10 000 kr steps, eight rules):
  every margin and the largest fundable request; issue 8's target: under one second,
* and, for information: the same two on HiGHS alone (``method="mip"``, no knapsack fast
  path), ``frame_breakpoints`` over the whole range, ``k_best(10)``, ``all_optima``,
  ``diverse(5)``.

Each task runs ``--repeat`` times (default 3); the table shows the median and the fastest.
Writes ``benchmarks/results/explain.csv``; exits 1 if the requirement is missed.

Usage::

    python benchmarks/bench_explain.py
    python benchmarks/bench_explain.py --repeat 5 --no-extras
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import allocator
from allocator.data import load_example, load_example_policy

__all__ = ["main", "measure"]

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "explain.csv"
LIMIT_S = 1.0


def measure(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Run ``fn`` ``repeat`` times; the times in seconds and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per task (default 3)")
    ap.add_argument("--no-extras", action="store_true", help="only the required tasks")
    args = ap.parse_args(argv)
    repeat = max(1, args.repeat)

    problem = load_example()
    solution = allocator.solve(problem)
    policy = load_example_policy().apply(problem)
    policy_solution = allocator.solve(policy)
    tasks: list[tuple[str, Callable[[], Any], str]] = [
        ("solve", lambda: allocator.solve(problem), "lexicographic, for reference"),
        ("explain", lambda: allocator.explain(problem, solution), "26 rows, margins, max grant, sentences"),
        ("frame_curve", lambda: allocator.analysis.frame_curve(problem), "25 frames + the call's, with rank-and-fund"),
        (
            "explain, with the policy",
            lambda: allocator.explain(policy, policy_solution),
            "partial funding, 8 rules: target under 1 s",
        ),
    ]
    if not args.no_extras:
        tasks += [
            (
                "explain (HiGHS only)",
                lambda: allocator.explain(problem, solution, method="mip"),
                "no knapsack fast path",
            ),
            (
                "frame_curve (HiGHS only)",
                lambda: allocator.analysis.frame_curve(problem, method="mip"),
                "no knapsack fast path",
            ),
            ("frame_breakpoints", lambda: allocator.analysis.frame_breakpoints(problem), "0 to all requested"),
            ("k_best(10)", lambda: allocator.analysis.k_best(problem, 10), "no-good cuts"),
            ("all_optima", lambda: allocator.analysis.all_optima(problem), "value held at the optimum"),
            (
                "diverse(5, d=3, 5 %)",
                lambda: allocator.analysis.diverse(problem, 5, min_difference=3, within=5.0),
                "distance rows",
            ),
        ]
    rows: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    for name, fn, note in tasks:
        times, out = measure(fn, repeat)
        results[name] = out
        rows.append(
            {"task": name, "median_s": statistics.median(times), "min_s": min(times), "repeat": repeat, "note": note}
        )

    # the two required tasks in one go, as a user would run them
    both, _ = measure(lambda: (allocator.explain(problem, solution), allocator.analysis.frame_curve(problem)), repeat)
    required = statistics.median(both)
    rows.append(
        {
            "task": "explain + frame_curve",
            "median_s": required,
            "min_s": min(both),
            "repeat": repeat,
            "note": f"requirement: under {LIMIT_S:g} s",
        }
    )
    if "explain (HiGHS only)" in results:  # the fast path and HiGHS give the same answers
        cols = ["margin_up", "margin_down", "max_grant", "reason"]
        same = results["explain"][cols].fillna(-1).equals(results["explain (HiGHS only)"][cols].fillna(-1))
        same_curve = results["frame_curve"]["value"].equals(results["frame_curve (HiGHS only)"]["value"])
        rows.append(
            {
                "task": "fast path == HiGHS",
                "median_s": float("nan"),
                "min_s": float("nan"),
                "repeat": 1,
                "note": f"explanations {'equal' if same else 'DIFFER'}, curve {'equal' if same_curve else 'DIFFERS'}",
            }
        )
    for r in rows:
        if r["task"] == "frame_breakpoints":
            r["note"] += f": {int(results['frame_breakpoints']['breakpoint'].sum())} breakpoints"

    env = f"Python {platform.python_version()}, highspy {version('highspy')}, pandas {version('pandas')}, {platform.machine()}"
    print(
        f"bench_explain: the example call ({len(problem.applications)} applications, frame {problem.frame:,} kr); {env}"
    )
    print(f"{'task':<26} {'median s':>9} {'min s':>8}  note")
    for r in rows:
        med = "" if r["median_s"] != r["median_s"] else f"{r['median_s']:.4f}"
        mn = "" if r["min_s"] != r["min_s"] else f"{r['min_s']:.4f}"
        print(f"{r['task']:<26} {med:>9} {mn:>8}  {r['note']}")
    with_policy = next(r["median_s"] for r in rows if r["task"] == "explain, with the policy")
    ok = required < LIMIT_S and with_policy < LIMIT_S
    print(
        f"explain + frame_curve: {required:.3f} s; explain with the policy: {with_policy:.3f} s (limit {LIMIT_S:g} s each): {'OK' if ok else 'TOO SLOW'}"
    )

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["task", "median_s", "min_s", "repeat", "note", "environment"])
        w.writeheader()
        for r in rows:
            w.writerow({**r, "environment": env})
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
