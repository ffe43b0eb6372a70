"""OR-Library multidimensional knapsack sets (mknap1, mknapcb1-9) as allocator problems.

The files are read from ``../shared/data/orlib`` (never copied into the repository); see
its SOURCES.md for the format and provenance. Each problem ``max p.x s.t. R x <= b``,
``x`` binary, becomes a :class:`allocator.Problem` whose applications are the items (one
criterion, ``profit``, on a 0..max(p) scale, so an item's value is ``p_j / max(p)``; every
request 1 kr and a frame equal to the number of items, which never binds) plus the ``m``
capacity rows, added to allocator's own formulation. The rules package has no generic
linear "resource" rule (budget pots give each application one pot; here every item uses
every resource), so the rows are added to the :class:`~allocator.optimize.linear.LinearModel`
directly. The value reported is ``max(p)`` times allocator's objective, computed exactly.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from allocator import Application, Criterion, Problem
from allocator.optimize.engine import Engine
from allocator.optimize.formulation import Formulation, build
from allocator.optimize.linear import LinearModel
from allocator.optimize.solve import NoPortfolio, optimum

__all__ = ["DATA", "Instance", "best_known", "formulation", "read_file", "solve_instance"]

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "orlib"


@dataclass(frozen=True)
class Instance:
    """One multidimensional knapsack problem of an OR-Library file."""

    file: str
    index: int
    profits: tuple[str, ...]  # as written (mknap1 problem 2 has decimals)
    weights: np.ndarray  # (m, n)
    capacities: np.ndarray  # (m,)
    header_opt: str

    @property
    def n(self) -> int:
        return self.weights.shape[1]

    @property
    def m(self) -> int:
        return self.weights.shape[0]


def read_file(path: Path) -> list[Instance]:
    """Every problem of an OR-Library mknap file (whitespace-separated numbers)."""
    tokens = path.read_text().split()
    pos = 0

    def take(k: int) -> list[str]:
        nonlocal pos
        out = tokens[pos : pos + k]
        if len(out) < k:
            raise ValueError(f"{path.name}: the file ends after {len(tokens)} numbers")
        pos += k
        return out

    count = int(take(1)[0])
    out = []
    for k in range(count):
        n, m, opt = take(3)
        n_, m_ = int(n), int(m)
        profits = tuple(take(n_))
        weights = np.array([float(v) for v in take(n_ * m_)]).reshape(m_, n_)
        caps = np.array([float(v) for v in take(m_)])
        out.append(Instance(path.name, k, profits, weights, caps, opt))
    return out


def best_known(path: Path | None = None) -> dict[tuple[str, int], tuple[Fraction, str]]:
    """``{(file, index): (best known value, proven_optimal)}`` from best_known.csv."""
    path = path or DATA / "best_known.csv"
    out = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[(row["file"], int(row["problem_index"]))] = (Fraction(row["best_known"]), row["proven_optimal"])
    return out


def _problem(inst: Instance) -> Problem:
    top = max(float(p) for p in inst.profits)
    apps = [
        Application(id=f"item-{j + 1}", requested=1, scores={"profit": float(p)}) for j, p in enumerate(inst.profits)
    ]
    return Problem(
        name=f"{inst.file}#{inst.index}",
        frame=inst.n,
        criteria=[Criterion(name="profit", weight=1.0, scale_min=0.0, scale_max=top)],
        applications=apps,
    )


def formulation(inst: Instance) -> Formulation:
    """allocator's formulation of the items, with the ``m`` capacity rows added."""
    f = build(_problem(inst))
    m = f.model
    cols = f.select  # item j -> its column
    starts, idx, val = [m.start[-1]], [m.index], [m.value]
    for i in range(inst.m):
        nz = np.flatnonzero(inst.weights[i])
        order = np.argsort(cols[nz])
        idx.append(cols[nz][order])
        val.append(inst.weights[i, nz][order])
        starts.append(starts[-1] + len(nz))
    model = LinearModel(
        objective=m.objective,
        col_lower=m.col_lower,
        col_upper=m.col_upper,
        integer=m.integer,
        col_names=m.col_names,
        start=np.concatenate([m.start[:-1], np.array(starts, dtype=np.int64)]),
        index=np.concatenate(idx).astype(np.int64),
        value=np.concatenate(val),
        row_lower=np.concatenate([m.row_lower, np.full(inst.m, -np.inf)]),
        row_upper=np.concatenate([m.row_upper, inst.capacities]),
        row_names=m.row_names + tuple(f"capacity_{i}" for i in range(inst.m)),
    )
    return replace(f, model=model)


def solve_instance(inst: Instance, *, time_limit: float | None = 60.0, threads: int = 1) -> dict[str, object]:
    """Solve with allocator (HiGHS backend, value only); the value, status, gap and time."""
    t0 = time.perf_counter()
    f = formulation(inst)
    engine = Engine(f, threads=threads, knapsack=False)  # m capacity rows: the MIP decides
    try:
        out = optimum(engine, tie_break=None, time_limit=time_limit)
    except NoPortfolio as exc:
        return {"status": exc.status.value, "value": None, "bound": None, "time_s": time.perf_counter() - t0}
    elapsed = time.perf_counter() - t0
    granted = np.asarray(out.grants, dtype=np.int64)
    exact_top = max(Fraction(p) for p in inst.profits)
    value = out.value * exact_top
    loads = inst.weights @ granted
    if np.any(loads > inst.capacities + 1e-9):
        raise AssertionError(f"{inst.file}#{inst.index}: capacity exceeded")
    assert value == sum((Fraction(p) for p, g in zip(inst.profits, granted, strict=True) if g), Fraction(0))
    bound = float(out.bound) * float(exact_top) if out.bound is not None else None
    return {"status": out.status.value, "value": value, "bound": bound, "time_s": elapsed}
