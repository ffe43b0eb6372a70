"""One command for every benchmark: ``python -m benchmarks.run`` (from the repository root).

Suites (``--suite``, comma-separated; default ``sweep,solve,orlib``):

``sweep``
    Weight scenarios (:mod:`benchmarks.sweep`): on a 200-application call with 15 rules
    (:mod:`benchmarks.registry`), :func:`allocator.run_scenarios` at 300 and 1 000 scenarios
    against a plain PuLP model rebuilt for every scenario (the ratio), against highspy fed
    allocator's model for every scenario, and on a spawn process pool (``--workers``); on the
    example call with its policy, scenarios per second at 1 000 and 10 000. Wall and CPU
    seconds; every decision compared with ``allocator.solve`` (``--sweep-verify``).
``solve``
    One solve per size (``--sizes``, default 100,1000,10000): ``allocator.solve`` (with and
    without the tie-break), highspy direct with the same settings, plain PuLP.
``large``
    100 000 applications, 20 rules: ``allocator.solve(rel_gap=0.001, time_limit=60)``.
``orlib``
    OR-Library mknap1 and the n = 100 sets (``--orlib-files``, ``--orlib-problems``,
    ``--orlib-limit``) against their best-known values.
``pabulib``
    Runs ``benchmarks/bench_pabulib.py`` (the 39 published instances in ``../shared``,
    against their reference optima and pabutools) in a child process.
``service``
    The HTTP service under load, on loopback (:mod:`benchmarks.bench_service`; needs the
    server extra): overhead against an in-process solve, 1 000 requests at concurrency 16,
    20 jobs of 10 000 applications, a 200 MiB body refused with 413.
``robust``
    Runs ``benchmarks/bench_robust.py`` (robustness and the draw) in a child process.
``explain``
    Runs ``benchmarks/bench_explain.py`` (explanations and the frame curve on the example,
    with and without its policy) in a child process.
``cli``
    Runs ``benchmarks/bench_cli.py`` (10 000 integer-score rows through the command line
    against ``solve(tie_break=False)``) in a child process.

``--suite all`` runs every suite above, in that order, in one run: the README's figures.

Every case runs in its own child process (``python -m benchmarks.run --child ...``) so that
its time and its **peak memory** (``ru_maxrss`` of that child: the whole process, Python
interpreter and imports included) are its own. Times are wall-clock seconds, measured inside
the child around the work; each solve case first solves a small call the same way, untimed,
so that imports and first-use costs are not counted. Results go to ``benchmarks/results/*.csv`` and
a Markdown table is printed. The machine is shared and noisy: compare ratios within a run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

__all__ = ["main"]


# ============================================================================ children
ALL_SUITES = ("sweep", "solve", "large", "orlib", "service", "pabulib", "robust", "explain", "cli")
SCRIPTS = {  # suite: (script run in a child process, its title)
    "pabulib": ("bench_pabulib.py", "Pabulib: the published instances against their reference optima"),
    "robust": ("bench_robust.py", "Robustness and the draw"),
    "explain": ("bench_explain.py", "Explanations and the frame curve"),
    "cli": ("bench_cli.py", "The command line on 10 000 integer-score rows"),
}


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(case: dict[str, Any]) -> dict[str, Any]:
    kind = case["kind"]
    out: dict[str, Any] = {}
    if kind == "idle":
        import pulp  # noqa: F401

        import allocator  # noqa: F401
    elif kind.startswith("sweep_"):
        from benchmarks.sweep import child

        out.update(child(case))
    elif kind.startswith("solve_"):
        from benchmarks.registry import make_call

        p = make_call(case["n"], case.get("rules"), seed=case.get("seed", 0))
        limit = case.get("time_limit")
        warm = make_call(30, 8, seed=99)  # a small call solved first, untimed: imports and first-use costs
        if kind in ("solve_allocator", "solve_allocator_notie", "solve_large"):
            from allocator import solve

            solve(warm)
            t0 = time.perf_counter()
            if kind == "solve_large":
                sol = solve(p, rel_gap=case.get("rel_gap", 0.001), time_limit=limit, raise_on_failure=False)
            else:
                sol = solve(p, time_limit=limit, tie_break=kind == "solve_allocator", raise_on_failure=False)
            out["time_s"] = time.perf_counter() - t0
            out.update(
                status=sol.status.value, objective=sol.objective, bound=sol.bound, gap=sol.gap, solves=sol.solves
            )
            granted = np.array([d.granted for d in sol.decisions], dtype=np.int64) if sol.decisions else None
        else:
            from allocator.optimize.formulation import build

            f, fw = build(p), build(warm)
            if kind == "solve_highspy":
                from benchmarks.baselines import highspy_direct

                highspy_direct(fw.model)
                status, x, t, obj, bound = highspy_direct(f.model, time_limit=limit, rel_gap=case.get("rel_gap", 0.0))
                out["time_s"] = t
                if obj is not None and bound is not None:
                    out["bound"] = bound / (f.scale or 1)
                    out["gap"] = max(0.0, (bound - obj) / max(abs(bound), 1e-12))
            else:
                from benchmarks.baselines import float_values, plain_pulp, rows_of

                plain_pulp(rows_of(fw.model, fw.col_app), float_values(warm))
                rows = rows_of(f.model, f.col_app)
                status, x, t = plain_pulp(rows, float_values(p), time_limit=limit)
                out["time_s"] = t
            out["status"] = status
            granted = f.grants(x) if x is not None else None
            if granted is not None:
                out["objective"] = f.value(granted)
        if granted is not None:
            np.save(case["save"], granted)
    elif kind == "orlib":
        from benchmarks.orlib import DATA, best_known, read_file, solve_instance

        known = best_known()
        rows = []
        for inst in read_file(DATA / case["file"])[: case["problems"]]:
            r = solve_instance(inst, time_limit=case["time_limit"])
            bk, proven = known[(inst.file, inst.index)]
            value = r["value"]
            rows.append(
                {
                    "file": inst.file,
                    "index": inst.index,
                    "n": inst.n,
                    "m": inst.m,
                    "best_known": str(bk),
                    "proven_optimal": proven,
                    "value": str(value) if value is not None else "",
                    "status": r["status"],
                    "bound": r["bound"],
                    "time_s": r["time_s"],
                    "equal_best_known": value == bk if value is not None else False,
                    "below_best_known_pct": float((bk - value) / bk * 100) if value is not None else None,
                }
            )
        out["rows"] = rows
    else:
        raise SystemExit(f"unknown case {kind}")
    out["peak_rss_mib"] = _rss_mib()
    return out


def _run_child(case: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", json.dumps(case)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s", "wall_s": time.perf_counter() - t0}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr or proc.stdout)[-2000:], "wall_s": time.perf_counter() - t0}
    res: dict[str, Any] = json.loads(lines[-1])
    res["wall_s"] = time.perf_counter() - t0
    return res


# ============================================================================ suites
def _write(name: str, rows: list[dict[str, Any]]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.csv"
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    return path


def suite_solve(args: argparse.Namespace, tmp: Path, sizes: list[int], large: bool = False) -> list[dict[str, Any]]:
    from benchmarks.registry import SIZES

    rows = []
    for n in sizes:
        kinds = (
            [("allocator (rel. gap 0.1 %, 60 s)", "solve_large")]
            if large
            else [
                ("allocator", "solve_allocator"),
                ("allocator, no tie-break", "solve_allocator_notie"),
                ("highspy direct", "solve_highspy"),
                ("plain PuLP", "solve_pulp"),
            ]
        )
        if large and args.large_highspy:
            kinds.append(("highspy direct (rel. gap 0.1 %, 60 s)", "solve_highspy"))
        for label, kind in kinds:
            print(f"  solve n={n}: {label} ...", flush=True)
            save = tmp / f"solve_{n}_{kind}.npy"
            limit = 60.0 if large else args.time_limit
            case = {"kind": kind, "n": n, "rules": SIZES.get(n, 15), "time_limit": limit, "save": str(save)}
            if large:
                case["rel_gap"] = 0.001
            r = _run_child(case, timeout=limit * 6 + 600)
            row: dict[str, Any] = {"applications": n, "rules": SIZES.get(n, 15), "method": label}
            if "error" in r:
                row["error"] = r["error"][-300:]
            else:
                row.update(
                    status=r.get("status"),
                    time_s=round(r["time_s"], 3),
                    objective=r.get("objective"),
                    bound=r.get("bound"),
                    gap=r.get("gap"),
                    solves=r.get("solves"),
                    peak_rss_mib=round(r["peak_rss_mib"], 1),
                )
            rows.append(row)
    return rows


def suite_orlib(args: argparse.Namespace) -> list[dict[str, Any]]:
    from benchmarks.orlib import DATA

    if not (DATA / "best_known.csv").is_file():
        print(f"  orlib: no data in {DATA}; skipped")
        return []
    rows: list[dict[str, Any]] = []
    for name in args.orlib_files.split(","):
        k = 1000 if name == "mknap1" else args.orlib_problems
        print(f"  orlib: {name} (first {k if k < 1000 else 'all'} problems, {args.orlib_limit} s each) ...", flush=True)
        r = _run_child({"kind": "orlib", "file": f"{name}.txt", "problems": k, "time_limit": args.orlib_limit})
        if "error" in r:
            rows.append({"file": name, "error": r["error"][-300:]})
        else:
            rows += [row | {"peak_rss_mib": round(r["peak_rss_mib"], 1)} for row in r["rows"]]
    return rows


# ============================================================================ printing
def _table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return "" if v is None else str(v)

    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    return head + "".join("| " + " | ".join(fmt(r.get(c)) for c in cols) + " |\n" for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--suite",
        default="sweep,solve,orlib",
        help=f"{', '.join(ALL_SUITES)} (comma-separated) or all",
    )
    ap.add_argument("--sizes", default="100,1000,10000", help="sizes for the solve suite")
    ap.add_argument(
        "--sweep-verify",
        choices=["some", "all", "none"],
        default="some",
        help="compare sweep decisions with allocator.solve: all at 300 and 1000 scenarios and every tenth at 10000 (some), all, or none",
    )
    ap.add_argument("--workers", type=int, default=2, help="processes for the parallel sweep (1: serial only)")
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve in the solve suite")
    ap.add_argument("--large-highspy", action="store_true", help="also run highspy direct on the 100 000 call")
    ap.add_argument("--orlib-files", default="mknap1,mknapcb1,mknapcb4,mknapcb7")
    ap.add_argument("--orlib-problems", type=int, default=5, help="problems per mknapcb file (30 = all)")
    ap.add_argument("--orlib-limit", type=float, default=60.0, help="seconds per OR-Library problem")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(json.loads(args.child)), default=str))
        return 0
    suites = set(ALL_SUITES) if args.suite == "all" else set(args.suite.split(","))
    unknown = suites - set(ALL_SUITES)
    if unknown:
        ap.error(f"unknown suite(s) {', '.join(sorted(unknown))}; choose from {', '.join(ALL_SUITES)} or all")
    started = time.perf_counter()
    idle = _run_child({"kind": "idle"})
    print(
        f"Baseline: a Python process that imported allocator and pulp peaks at {idle.get('peak_rss_mib', 0):.0f} MiB."
    )
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if "sweep" in suites:
            from benchmarks import sweep

            rows = sweep.suite(args, tmp, _run_child)
            print(f"\nWeight sweeps -> {_write('sweep', rows)}")
            print(_table(rows, sweep.COLUMNS))
        if "solve" in suites:
            rows = suite_solve(args, tmp, [int(s) for s in args.sizes.split(",")])
            print(f"\nOne solve per size -> {_write('solve', rows)}")
            print(
                _table(
                    rows, ["applications", "rules", "method", "status", "time_s", "objective", "solves", "peak_rss_mib"]
                )
            )
        if "large" in suites:
            rows = suite_solve(args, tmp, [100_000], large=True)
            print(f"\n100 000 applications -> {_write('large', rows)}")
            print(
                _table(
                    rows,
                    [
                        "applications",
                        "rules",
                        "method",
                        "status",
                        "time_s",
                        "objective",
                        "bound",
                        "gap",
                        "peak_rss_mib",
                    ],
                )
            )
        if "orlib" in suites:
            rows = suite_orlib(args)
            if rows:
                print(f"\nOR-Library -> {_write('orlib', rows)}")
                print(
                    _table(
                        rows,
                        [
                            "file",
                            "index",
                            "n",
                            "m",
                            "best_known",
                            "value",
                            "status",
                            "time_s",
                            "equal_best_known",
                            "below_best_known_pct",
                        ],
                    )
                )
    if "service" in suites:
        from benchmarks.bench_service import main as bench_service

        print("\nThe HTTP service (benchmarks/bench_service.py) -> benchmarks/results/service.csv")
        bench_service([])
    for name, (script, title) in SCRIPTS.items():
        if name in suites:
            print(f"\n{title} (benchmarks/{script}):", flush=True)
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / script)], cwd=ROOT, check=False)
    print(f"\nSuites {', '.join(s for s in ALL_SUITES if s in suites)}: {time.perf_counter() - started:.0f} s in all.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
