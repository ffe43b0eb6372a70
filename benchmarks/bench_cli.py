"""The command line on a large call of integer scores: ``python -m benchmarks.bench_cli``.

10 000 applications (``--n``), three criteria scored 1-7 in whole numbers (so that many
portfolios share the optimal value: the usual case with a panel's scores), requests in
10 000 kr steps, only the frame (160 MNOK, about a third of the requests). Measured side by
side in one run, each case ``--repeat`` times (min and median):

* ``allocator solve table.csv --frame ... --out decisions.csv``, as a process: reading the
  CSV, formulating, solving with the tie-break, writing the decisions (Python's start and
  imports included; after one untimed run, with cached bytecode as an installed tool has);
* ``allocator.solve(problem)`` in process (the default tie-break);
* ``allocator.solve(problem, tie_break=False)`` in process: the optimum without the rule
  that settles ties, the floor for the other two;

and the ratios of the first two to the third. The decisions of the command line and of the
in-process solve are compared; they must be identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import allocator

__all__ = ["main", "table"]

WEIGHTS = {"green": 0.4, "smart": 0.4, "innovation": 0.2}


def table(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` applications with integer 1-7 scores on three criteria and 10 000 kr steps."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"A-{k + 1}" for k in range(n)],
            "requested": rng.integers(5, 60, n) * 10_000,
            **{c: rng.integers(1, 8, n) for c in WEIGHTS},
        }
    )


def _times(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    out, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - t)
    return out, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--frame", type=int, default=160_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    df = table(args.n)
    scales = {c: (1, 7) for c in WEIGHTS}
    problem = allocator.Problem.from_frame(df, frame=args.frame, weights=WEIGHTS, scales=scales)
    allocator.solve(
        allocator.Problem.from_frame(table(50, 1), frame=1_000_000, weights=WEIGHTS, scales=scales)
    )  # warm imports
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "applications.csv", Path(tmp) / "decisions.csv"
        df.to_csv(src, index=False)
        exe = Path(sys.executable).with_name("allocator")
        cmd = [str(exe), "solve", str(src), "--frame", str(args.frame), "--quiet", "--out", str(out)]
        cmd += [f"--weight={c}={w}" for c, w in WEIGHTS.items()] + [f"--scale={c}=1:7" for c in WEIGHTS]

        # as an installed tool runs: Python's bytecode cached (pip compiles it at install; a
        # PYTHONDONTWRITEBYTECODE in the caller's shell would make every run compile the
        # package again, about 0.4 s), after one untimed run that writes the cache
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

        def cli() -> pd.DataFrame:
            if out.exists():
                out.unlink()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            return pd.read_csv(out)

        cli()

        rows = [
            ("command line: allocator solve ... --out decisions.csv", *_times(cli, args.repeat)),
            ("solve(problem) in process", *_times(lambda: allocator.solve(problem), args.repeat)),
            (
                "solve(problem, tie_break=False) in process",
                *_times(lambda: allocator.solve(problem, tie_break=False), args.repeat),
            ),
        ]
    floor = statistics.median(rows[2][1])
    print(
        f"{args.n} applications, integer 1-7 scores on {len(WEIGHTS)} criteria, frame only ({args.frame:,} kr), {args.repeat} runs each\n"
    )
    print("| path | min s | median s | vs solve(tie_break=False) |")
    print("|---|---|---|---|")
    for name, ts, _ in rows:
        print(f"| {name} | {min(ts):.2f} | {statistics.median(ts):.2f} | {statistics.median(ts) / floor:.2f}x |")
    cli_frame, solution = rows[0][2], rows[1][2]
    mine = {d.id: d.granted for d in solution.decisions}
    cli_grants = dict(zip(cli_frame["id"].astype(str), cli_frame["granted"].astype(int), strict=True))
    same = cli_grants == mine
    value_free = rows[2][2].objective
    print(
        f"\ncommand line and solve(): {'identical decisions' if same else 'DIFFERENT decisions'}; "
        f"value {solution.objective:.6f} (without the tie-break {value_free:.6f})"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
