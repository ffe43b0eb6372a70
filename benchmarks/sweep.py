"""The weight-sweep suite of :mod:`benchmarks.run` (``python -m benchmarks.run --suite sweep``).

Two calls, each case in its own child process, wall-clock **and** CPU seconds
(``time.process_time`` of the child plus the CPU of its finished child processes, the
process pool's workers: on a shared machine the CPU time is the steadier figure; it counts
every thread):

* **registry**: the 200-application, 15-rule call (``make_call(200, 15, seed=0)``), weight
  scenarios ``weight_samples(p, n, seed=1)``: serial :func:`allocator.run_scenarios` at
  300 and 1 000 scenarios, against plain PuLP rebuilt per scenario and solved to a proven
  optimum (its time at 300 is read at the 300th scenario of the same run: the scenarios are
  the same and solved independently), against highspy fed allocator's model per scenario,
  and ``run_scenarios`` on a spawn process pool (``--workers``).
* **example**: the example call with its policy (26 applications, partial funding, 8
  rules), serial ``run_scenarios`` at 1 000 and 10 000 weight scenarios: scenarios per second.

Every allocator decision is compared with ``allocator.solve(scenario.apply(problem))``,
computed in separate children and not timed: all of them at 300 and 1 000 scenarios, every
tenth at 10 000 (``--sweep-verify all`` checks all, ``none`` skips the check).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["child", "suite"]


def _setup(case: dict[str, Any]) -> tuple[Any, list[Any]]:
    from allocator.scenarios import weight_samples

    if case["call"] == "example":
        from allocator.data import load_example, load_example_policy

        p = load_example_policy().apply(load_example())
    else:
        from benchmarks.registry import make_call

        p = make_call(200, 15, seed=0)
    return p, weight_samples(p, case["scenarios"], seed=1)


def _cpu() -> float:
    """CPU seconds of this process and of its finished (waited-for) children."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def child(case: dict[str, Any]) -> dict[str, Any]:
    """Run one case (in a child process); grants go to ``case["save"]``."""
    kind = case["kind"]
    p, scen = _setup(case)
    out: dict[str, Any] = {}
    granted = np.zeros((len(scen), len(p.applications)), dtype=np.int64)
    if kind == "sweep_allocator":
        from allocator import run_scenarios
        from allocator.scenarios import process_pool

        workers = case.get("workers", 1)
        run_scenarios(p, scen[:3], progress=False)  # imports and first use, untimed
        t0, c0 = time.perf_counter(), _cpu()
        if workers > 1:
            with process_pool(workers) as ex:
                res = run_scenarios(p, scen, executor=ex, progress=False, chunksize=-(-len(scen) // workers))
        else:
            res = run_scenarios(p, scen, progress=False)
        out["time_s"], out["cpu_s"] = time.perf_counter() - t0, _cpu() - c0
        granted = res.granted
        out["methods"] = res.summary()["method"].value_counts().to_dict()
        out["solves"] = int(sum(o.solves for o in res.outcomes))
        out["status"] = sorted({o.status.value for o in res.outcomes})
    elif kind == "sweep_reference":
        from allocator import solve

        every = case.get("every", 1)
        for k in range(0, len(scen), every):
            granted[k] = [d.granted for d in solve(scen[k].apply(p)).decisions]
    elif kind == "sweep_pulp":
        from allocator.optimize.formulation import build
        from benchmarks.baselines import float_values, plain_pulp, rows_of

        f = build(p)
        rows = rows_of(f.model, f.col_app)
        plain_pulp(rows, float_values(p))  # first use, untimed
        statuses = set()
        t0, c0 = time.perf_counter(), _cpu()
        for k, s in enumerate(scen):
            if k == case.get("checkpoint"):
                out["checkpoint_time_s"], out["checkpoint_cpu_s"] = time.perf_counter() - t0, _cpu() - c0
            status, x, _ = plain_pulp(rows, float_values(p, s.weights))
            statuses.add(status)
            if x is not None:
                granted[k] = f.grants(x)
        out["time_s"], out["cpu_s"] = time.perf_counter() - t0, _cpu() - c0
        out["status"] = sorted(statuses)
    elif kind == "sweep_highspy":
        from allocator.optimize.formulation import build
        from benchmarks.baselines import highspy_direct

        f = build(p)
        models = [build(s.apply(p)).model for s in scen]  # allocator's exact objective, untimed
        statuses = set()
        t0, c0 = time.perf_counter(), _cpu()
        for k, m in enumerate(models):
            status, x, *_ = highspy_direct(m)
            statuses.add(status)
            if x is not None:
                granted[k] = f.grants(x)
        out["time_s"], out["cpu_s"] = time.perf_counter() - t0, _cpu() - c0
        out["status"] = sorted(statuses)
    else:
        raise SystemExit(f"unknown case {kind}")
    np.save(case["save"], granted)
    return out


def _compare(g: np.ndarray, ref: np.ndarray | None, every: int) -> str:
    if ref is None:
        return ""
    rows = range(0, len(g), every)
    same = sum(bool(np.array_equal(g[k], ref[k])) for k in rows)
    return f"{same}/{len(rows)}"


def _paths(methods: dict[str, int]) -> str:
    return "; ".join(f"{k} {v}" for k, v in sorted(methods.items()))


def suite(args: argparse.Namespace, tmp: Path, run_child: Any) -> list[dict[str, Any]]:
    """Run the cases, compare decisions, return the rows of the table (also printed)."""
    verify = getattr(args, "sweep_verify", "some")

    def go(label: str, case: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray | None]:
        save = tmp / f"sweep_{case['call']}_{case['kind']}_{case['scenarios']}_{case.get('workers', 1)}.npy"
        print(f"  sweep: {label} ...", flush=True)
        r = run_child(case | {"save": str(save)})
        return r, (np.load(save) if "error" not in r else None)

    def reference(call: str, n: int) -> tuple[np.ndarray | None, int]:
        if verify == "none":
            return None, 1
        every = 1 if verify == "all" or n <= 1000 else 10
        _, g = go(
            f"{call}: allocator.solve per scenario, {n // every} scenarios (reference, not timed)",
            {"kind": "sweep_reference", "call": call, "scenarios": n, "every": every},
        )
        return g, every

    rows: list[dict[str, Any]] = []
    # ------------------------------------------------------------------ (a) the registry call
    base = {"call": "registry"}
    pulp, pulp_g = go(
        "registry: plain PuLP rebuilt per scenario, 1000",
        base | {"kind": "sweep_pulp", "scenarios": 1000, "checkpoint": 300},
    )
    ref_a, _ = reference("registry", 1000)
    for n in (300, 1000):
        r, g = go(f"registry: allocator, {n} scenarios", base | {"kind": "sweep_allocator", "scenarios": n})
        row: dict[str, Any] = {"call": "200 applications, 15 rules", "method": "allocator, serial", "scenarios": n}
        if "error" in r or g is None:
            rows.append(row | {"error": r.get("error", "")[-300:]})
            continue
        p_wall = pulp.get("checkpoint_time_s" if n == 300 else "time_s")
        p_cpu = pulp.get("checkpoint_cpu_s" if n == 300 else "cpu_s")
        row.update(_timing(r, n))
        if p_wall and p_cpu:
            row["pulp_wall_s"], row["pulp_cpu_s"] = round(p_wall, 2), round(p_cpu, 2)
            row["x_pulp_wall"], row["x_pulp_cpu"] = round(p_wall / r["time_s"], 2), round(p_cpu / r["cpu_s"], 2)
        row["same_as_solve"] = _compare(g, None if ref_a is None else ref_a[:n], 1)
        row["paths"], row["solves"] = _paths(r["methods"]), r["solves"]
        rows.append(row)
    others = [("plain PuLP rebuilt per scenario", pulp, pulp_g)]
    h, h_g = go(
        "registry: highspy fed allocator's model per scenario, 1000",
        base | {"kind": "sweep_highspy", "scenarios": 1000},
    )
    others.append(("highspy, allocator's model per scenario", h, h_g))
    if args.workers > 1:
        w, w_g = go(
            f"registry: allocator on {args.workers} processes, 1000",
            base | {"kind": "sweep_allocator", "scenarios": 1000, "workers": args.workers},
        )
        others.append((f"allocator, {args.workers} processes", w, w_g))
    for label, r, g in others:
        row = {"call": "200 applications, 15 rules", "method": label, "scenarios": 1000}
        if "error" in r or g is None:
            rows.append(row | {"error": r.get("error", "")[-300:]})
            continue
        row.update(_timing(r, 1000))
        row["same_as_solve"] = _compare(g, ref_a, 1)
        if "methods" in r:
            row["paths"], row["solves"] = _paths(r["methods"]), r["solves"]
        rows.append(row)
    # ------------------------------------------------------------------ (b) the example
    for n in (1000, 10_000):
        r, g = go(
            f"example with its policy: allocator, {n} scenarios",
            {"call": "example", "kind": "sweep_allocator", "scenarios": n},
        )
        ref, every = reference("example", n)
        row = {"call": "example + policy (partial, 8 rules)", "method": "allocator, serial", "scenarios": n}
        if "error" in r or g is None:
            rows.append(row | {"error": r.get("error", "")[-300:]})
            continue
        row.update(_timing(r, n))
        row["per_s_wall"], row["per_s_cpu"] = round(n / r["time_s"]), round(n / r["cpu_s"])
        row["same_as_solve"] = _compare(g, ref, every)
        row["paths"], row["solves"] = _paths(r["methods"]), r["solves"]
        rows.append(row)
    return rows


def _timing(r: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "wall_s": round(r["time_s"], 2),
        "cpu_s": round(r["cpu_s"], 2),
        "ms_wall": round(1000 * r["time_s"] / n, 2),
        "ms_cpu": round(1000 * r["cpu_s"] / n, 2),
        "peak_rss_mib": round(r["peak_rss_mib"], 1),
    }


COLUMNS = [
    "call",
    "method",
    "scenarios",
    "wall_s",
    "cpu_s",
    "ms_wall",
    "ms_cpu",
    "x_pulp_wall",
    "x_pulp_cpu",
    "per_s_wall",
    "per_s_cpu",
    "same_as_solve",
    "solves",
    "paths",
]
"""The columns of the printed table."""
