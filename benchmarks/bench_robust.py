"""Robustness and the draw: the targets of the robustness issue, measured in one run.

1. **Example, exact**: the embedded call with its rules (all-or-nothing), rank-order weights
   green >= smart >= others, ±0.5 on every score: the whole non-dominated set and the core
   indices (target under 5 s).
2. **100 applications, 10 rules** (:func:`benchmarks.registry.make_call`), the same rank
   order, ±0.25: each application's class, exactly, without listing the set (target under
   60 s; ``--classify-limit`` seconds at most, classes still open are counted undecided).
3. **Sampling**: ``--samples`` draws (default 10 000) of weights (uniform on the polytope)
   and scores on the example with rules: the exact engine (against the non-dominated set),
   and ``--scenario-samples`` of them (default 1 000) solved by ``run_scenarios`` on
   ``--workers`` processes; agreement of the shares with the exact classes (core = 1,
   exterior = 0) and the largest standard error (target: 10 000 under 10 s on 2 cores).
4. **The draw**: ``--seeds`` seeds (default 10 000) on the example: every portfolio checked
   with the rule checker and the frame, and the largest distance of an empirical inclusion
   frequency from its published probability, in standard errors (target: within 3).
5. **Brute-force agreement** (``--agreement`` random calls with up to 12 applications and
   rules, default 200): the non-dominated set, core indices and classes against the
   independent reference of the tests.

Usage (from the repository root)::

    python benchmarks/bench_robust.py
    python benchmarks/bench_robust.py --classify-limit 120 --seeds 2000 --agreement 50

Writes ``benchmarks/results/robust.csv``. The machine is shared: compare within a run.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["main"]


def _example() -> tuple[Any, Any]:
    from allocator.data import load_example, load_example_policy
    from allocator.robust import Uncertainty

    p = load_example_policy().apply(load_example()).with_options(partial=False)
    return p, Uncertainty.of(order="green >= smart >= others", plus_minus=0.5)


def bench_example() -> tuple[dict[str, Any], Any]:
    from allocator.robust import nondominated

    p, u = _example()
    t0 = time.perf_counter()
    r = nondominated(p, u)
    dt = time.perf_counter() - t0
    counts = {c: r.classes.count(c) for c in ("core", "borderline", "exterior")}
    row = {
        "case": "example, exact set",
        "time_s": round(dt, 3),
        "target_s": 5,
        "met": dt < 5,
        "detail": f"{len(r.portfolios)} non-dominated portfolios ({r.method}); {counts}; core indices "
        + ", ".join(
            f"{i}:{c:.3f}" for i, c, k in zip(r.ids, r.core_index, r.classes, strict=True) if k == "borderline"
        ),
    }
    return row, r


def bench_classify(limit: float) -> dict[str, Any]:
    from allocator.robust import Uncertainty, classify
    from benchmarks.registry import make_call

    p = make_call(100, 10, seed=0)
    u = Uncertainty.of(order="green >= smart >= others", plus_minus=0.25)
    t0 = time.perf_counter()
    r = classify(p, u, time_limit=limit)
    dt = time.perf_counter() - t0
    counts = {c: r.classes.count(c) for c in ("core", "borderline", "exterior", "undecided")}
    return {
        "case": "100 applications, 10 rules: classes",
        "time_s": round(dt, 1),
        "target_s": 60,
        "met": dt < 60 and counts["undecided"] == 0,
        "detail": f"{counts} ({r.method}, {r.mips} integer programs, limit {limit:g} s)",
    }


def bench_sampling(n: int, n_scen: int, workers: int, exact: Any) -> list[dict[str, Any]]:
    from allocator.robust import acceptability
    from allocator.scenarios import process_pool

    p, u = _example()
    cls = np.array(exact.classes)
    t0 = time.perf_counter()
    a = acceptability(p, u, n, seed=1, exact=exact)
    dt = time.perf_counter() - t0
    agree = bool((a.share[cls == "core"] == 1).all() and (a.share[cls == "exterior"] == 0).all())
    rows = [
        {
            "case": f"{n} sampled scenarios, example with rules (exact engine)",
            "time_s": round(dt, 2),
            "target_s": 10,
            "met": dt < 10 and agree,
            "detail": f"core = 1 and exterior = 0: {agree}; largest SE {a.se.max():.4f}; "
            f"{a.solved} tied draws solved as scenarios",
        }
    ]
    t0 = time.perf_counter()
    ex = process_pool(workers) if workers > 1 else None
    try:
        b = acceptability(p, u, n_scen, seed=1, method="scenarios", executor=ex)
    finally:
        if ex is not None:
            ex.shutdown()
    dt = time.perf_counter() - t0
    c = acceptability(p, u, n_scen, seed=1, exact=exact)  # the same draws, by the exact engine
    same = int((b.funded == c.funded).all(axis=1).sum())
    rows.append(
        {
            "case": f"{n_scen} sampled scenarios, run_scenarios on {workers} processes",
            "time_s": round(dt, 2),
            "target_s": "",
            "met": "",
            "detail": f"{1000 * dt / n_scen:.1f} ms per scenario "
            f"(10 000 would take about {dt / n_scen * 10_000:.0f} s); same portfolio as the exact engine in {same} of {n_scen}",
        }
    )
    return rows


def bench_draw(seeds: int, exact: Any) -> dict[str, Any]:
    from allocator import check
    from allocator.robust import Lottery

    p, u = _example()
    apps = {a.id: a for a in p.applications}
    t0 = time.perf_counter()
    lot = Lottery(p, u, result=exact)
    t_plan = time.perf_counter() - t0
    hits = dict.fromkeys(lot.plan.borderline, 0)
    ok = 0
    t0 = time.perf_counter()
    for k in range(seeds):
        rec = lot.draw(f"seed-{k:05d}")
        grants = {i: (apps[i].requested if i in rec.funded else 0) for i in apps}
        ok += int(rec.total_granted <= p.frame and check(p, grants).ok)
        for b in rec.drawn:
            hits[b] += 1
    dt = time.perf_counter() - t0
    z = []
    for b in lot.plan.borderline:
        q = lot.plan.probabilities[b]
        z.append(abs(hits[b] / seeds - q) / (q * (1 - q) / seeds) ** 0.5)
    return {
        "case": f"{seeds} seeds of the draw, example",
        "time_s": round(dt, 2),
        "target_s": "",
        "met": ok == seeds and max(z) <= 3,
        "detail": f"{ok}/{seeds} portfolios within every rule and the frame; largest |frequency - probability| "
        f"= {max(z):.2f} standard errors over {len(z)} borderline applications; plan (exact probabilities) {t_plan:.2f} s",
    }


def bench_agreement(count: int) -> dict[str, Any]:
    from fractions import Fraction

    import allocator.robust.exact as exact_mod
    from allocator.exceptions import InfeasibleError
    from allocator.robust import Uncertainty, classify, nondominated
    from tests.robust.oracle import make_case, nondominated_sets

    sets = cls_ok = cases = feasible = nd_total = border = mip_ok = 0
    t0 = time.perf_counter()
    for seed in range(count):
        case = make_case(seed)
        u = Uncertainty.of(
            order=" >= ".join(case.order) if case.order else (), plus_minus=case.plus_minus, score_intervals=case.given
        )
        nd = nondominated_sets(case)
        cases += 1
        if not nd:
            try:
                nondominated(case.problem, u)
            except InfeasibleError:
                sets += 1
                cls_ok += 1
            continue
        feasible += 1
        nd_total += len(nd)
        r = nondominated(case.problem, u)
        got = {frozenset(i for i, b in zip(r.ids, row, strict=True) if b) for row in r.portfolios}
        ci = {i: Fraction(sum(i in s for s in nd), len(nd)) for i in r.ids}
        sets += int(
            got == set(nd)
            and all(Fraction(round(c * len(nd)), len(nd)) == ci[i] for i, c in zip(r.ids, r.core_index, strict=True))
        )
        want = {i: "core" if c == 1 else "exterior" if c == 0 else "borderline" for i, c in ci.items()}
        border += sum(v == "borderline" for v in want.values())
        saved = exact_mod.BRUTE_MAX
        exact_mod.BRUTE_MAX = -1
        try:
            s = classify(case.problem, u)
            listed = nondominated(case.problem, u)
        finally:
            exact_mod.BRUTE_MAX = saved
        cls_ok += int(dict(zip(s.ids, s.classes, strict=True)) == want)
        mip_ok += int(
            {frozenset(i for i, b in zip(listed.ids, row, strict=True) if b) for row in listed.portfolios} == set(nd)
        )
    dt = time.perf_counter() - t0
    return {
        "case": f"brute-force agreement, {count} random calls (<= 12 applications, rules)",
        "time_s": round(dt, 1),
        "target_s": "",
        "met": sets == count and cls_ok == count and mip_ok == feasible,
        "detail": f"set and core indices by enumeration {sets}/{count}; classes by search {cls_ok}/{count}; "
        f"set by integer programs {mip_ok}/{feasible}; {feasible} feasible calls, {nd_total} non-dominated portfolios, "
        f"{border} borderline applications",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--classify-limit", type=float, default=600.0, help="seconds for the 100-application classes")
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--scenario-samples", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=10_000)
    ap.add_argument("--agreement", type=int, default=200)
    ap.add_argument("--skip", default="", help="comma-separated: example, classify, sampling, draw, agreement")
    args = ap.parse_args(argv)
    skip = set(args.skip.split(",")) - {""}
    rows: list[dict[str, Any]] = []
    row, exact = bench_example()
    rows.append(row)
    print(_line(row), flush=True)
    todo = [
        ("classify", lambda: [bench_classify(args.classify_limit)]),
        ("sampling", lambda: bench_sampling(args.samples, args.scenario_samples, args.workers, exact)),
        ("draw", lambda: [bench_draw(args.seeds, exact)]),
        ("agreement", lambda: [bench_agreement(args.agreement)]),
    ]
    for name, job in todo:
        if name in skip:
            continue
        for row in job():
            rows.append(row)
            print(_line(row), flush=True)
    out = ROOT / "benchmarks" / "results" / "robust.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["case", "time_s", "target_s", "met", "detail"])
        w.writeheader()
        w.writerows(rows)
    print(f"\nwrote {out}")
    print("\n| case | time s | target s | met | detail |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['time_s']} | {r['target_s']} | {r['met']} | {r['detail']} |")
    return 0


def _line(row: dict[str, Any]) -> str:
    return f"{row['case']}: {row['time_s']} s (target {row['target_s'] or '-'}; met {row['met']}) - {row['detail']}"


if __name__ == "__main__":
    raise SystemExit(main())
