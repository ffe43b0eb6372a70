"""The call's model with every rule elastic: the instrument of :mod:`allocator.optimize.diagnose`.

Each row of each rule (the frame and the eligibility thresholds included, as rules like the
others) gets slack columns that measure how far it is violated; a rule is ``hard`` (its
slacks held at 0), ``elastic`` (its slacks free and minimised) or ``off`` (its rows
dropped). The model is loaded once (:class:`~allocator.optimize.loaded.LoadedModel`) and
only bounds and the objective change between the filters' solves.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from allocator.model import Problem
from allocator.model.validate import rule_labels
from allocator.optimize.formulation import app_columns, build, to_columns
from allocator.optimize.linear import LinearModel
from allocator.optimize.loaded import LoadedModel
from allocator.rules.rows import ELIGIBILITY, FRAME, RuleRow, rule_rows
from allocator.status import Status

__all__ = ["TOL", "Elastic"]

TOL = 1e-6
"""Slack below this is no violation."""


class Elastic:
    """The problem's model with every rule's rows elastic, switchable rule by rule."""

    def __init__(self, problem: Problem, threads: int | None) -> None:

        self.problem = problem
        f = build(problem.model_copy(update={"rules": ()}))
        self.f = f
        m = f.model
        col_lo, col_hi = m.col_lower.copy(), m.col_upper.copy()
        rows: list[tuple[np.ndarray, np.ndarray, float, float]] = [
            (*m.row(r), float(m.row_lower[r]), float(m.row_upper[r])) for r in range(m.n_rows)
        ]
        # group -> list of (row index, RuleRow or None); the frame and eligibility are groups too
        self.groups: dict[str, list[int]] = {FRAME: [f.frame_row]}
        self.info: dict[int, RuleRow] = {}
        self.kind: dict[str, str] = {FRAME: "frame"}
        ineligible = np.flatnonzero(~f.scores.eligible).tolist()
        for i in ineligible:  # restore the columns' bounds; eligibility becomes rows y_i <= 0
            for j in np.flatnonzero(f.col_app == i).tolist():
                col_hi[j] = float(f.levels[i].K) if m.col_names[j].startswith("k_") else 1.0
            r = len(rows)
            rows.append((np.array([f.select[i]]), np.array([1.0]), -np.inf, 0.0))
            self.groups.setdefault(ELIGIBILITY, []).append(r)
            self.info[r] = RuleRow(
                -2,
                ELIGIBILITY,
                problem.applications[i].id,
                "eligibility",
                np.array([i]),
                np.zeros(1),
                np.ones(1),
                -np.inf,
                0.0,
                "applications",
            )
        if ineligible:
            self.kind[ELIGIBILITY] = "eligibility"
        self.labels = rule_labels(problem.rules)
        per_app = app_columns(f)
        # every row, also those the formulation leaves out as redundant: a row can be
        # redundant only because ineligible applications are fixed at 0, and eligibility is
        # itself a rule the filters below may switch off
        for row in rule_rows(problem, keep_redundant=True):
            cols, vals = to_columns(row, f, per_app)
            # a row whose floor exceeds its cap (a rule at odds with itself) becomes two rows
            halves = [row] if row.lower <= row.upper else [replace(row, lower=-np.inf), replace(row, upper=np.inf)]
            for half in halves:
                r = len(rows)
                rows.append((cols, vals, half.lower, half.upper))
                self.groups.setdefault(row.label, []).append(r)
                self.info[r] = half
            self.kind[row.label] = row.kind
        self.bounds = {r: (rows[r][2], rows[r][3]) for rs in self.groups.values() for r in rs}
        self.info[f.frame_row] = RuleRow(
            -1, FRAME, "", "frame", np.zeros(0, np.int64), np.zeros(0), np.zeros(0), -np.inf, float(problem.frame), "kr"
        )
        # slack columns: s_up (row - s_up <= hi) and s_lo (row + s_lo >= lo)
        n0 = m.n_cols
        self.slack: dict[int, list[tuple[int, int]]] = {}  # row -> [(col, sign)] sign +1: over the cap
        extra = 0
        idx_l: list[np.ndarray] = []
        val_l: list[np.ndarray] = []
        start = [0]
        for r, (cols, vals, lo, hi) in enumerate(rows):
            c, v = list(cols.tolist()), list(vals.tolist())
            if r in self.bounds:
                if np.isfinite(hi):
                    c.append(n0 + extra)
                    v.append(-1.0)
                    self.slack.setdefault(r, []).append((n0 + extra, 1))
                    extra += 1
                if np.isfinite(lo):
                    c.append(n0 + extra)
                    v.append(1.0)
                    self.slack.setdefault(r, []).append((n0 + extra, -1))
                    extra += 1
            idx_l.append(np.asarray(c, dtype=np.int64))
            val_l.append(np.asarray(v, dtype=float))
            start.append(start[-1] + len(c))
        n = n0 + extra
        model = LinearModel(
            objective=np.zeros(n),
            col_lower=np.concatenate([col_lo, np.zeros(extra)]),
            col_upper=np.concatenate([col_hi, np.zeros(extra)]),
            integer=np.concatenate([m.integer, np.zeros(extra, dtype=bool)]),
            col_names=(*m.col_names, *(f"s_{k:04d}" for k in range(extra))),
            start=np.asarray(start, dtype=np.int64),
            index=np.concatenate(idx_l) if idx_l else np.zeros(0, np.int64),
            value=np.concatenate(val_l) if val_l else np.zeros(0),
            row_lower=np.array([r[2] for r in rows], dtype=float),
            row_upper=np.array([r[3] for r in rows], dtype=float),
            row_names=tuple(f"r_{k:05d}" for k in range(len(rows))),
        )
        self.n = n
        self.loaded = LoadedModel(model, threads=threads)
        self.mode = {g: "hard" for g in self.groups}
        self.solves = 0
        self.timed_out = False

    def set_mode(self, g: str, mode: str) -> None:
        """``hard``: the rule holds; ``elastic``: it may be violated; ``off``: it is dropped."""
        self.mode[g] = mode
        for r in self.groups[g]:
            lo, hi = self.bounds[r] if mode != "off" else (-np.inf, np.inf)
            self.loaded.set_row_bounds(r, lo, hi)
            cols = [c for c, _ in self.slack.get(r, [])]
            if cols:
                ub = np.full(len(cols), np.inf if mode == "elastic" else 0.0)
                self.loaded.set_col_bounds(np.array(cols), np.zeros(len(cols)), ub)

    def weight(self, r: int) -> float:
        row = self.info[r]
        return (1.0 if row.unit == "applications" else 1e-3) / row.scale

    def minimise(self, deadline: float) -> tuple[Status, np.ndarray | None]:
        """Minimise the weighted slack of the elastic rules (0 objective if none is elastic)."""
        c = np.zeros(self.n)
        for g, mode in self.mode.items():
            if mode == "elastic":
                for r in self.groups[g]:
                    for col, _ in self.slack.get(r, []):
                        c[col] = self.weight(r)
        left = max(0.01, deadline - time.perf_counter())
        res = self.loaded.run(c, maximize=False, gap=1e-9, time_limit=left)
        self.solves += 1
        if res.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            self.timed_out = True
        return res.status, res.x

    def violation(self, g: str, x: np.ndarray) -> tuple[float, list[tuple[int, int, float]]]:
        """Total violation of group ``g`` in its unit, and (row, sign, amount) per violated row."""
        total = 0.0
        parts = []
        for r in self.groups[g]:
            for col, sign in self.slack.get(r, []):
                v = float(x[col]) / self.info[r].scale
                if v > TOL:
                    total += v
                    parts.append((r, sign, v))
        return total, parts
