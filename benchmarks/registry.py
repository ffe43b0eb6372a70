"""Benchmark instances by size, generated like real calls for cluster and network funding.

``make_call(n, n_rules, seed)`` builds a :class:`allocator.Problem` with ``n`` applications:

* four criteria on 1-7 scales (``green``, ``smart``, ``innovation``, ``value_creation``),
  integer scores driven by one latent quality plus noise, as assessors give them, and an
  eligibility threshold of 2 on ``value_creation``;
* requests in whole 10 000 kr steps, log-normal around 300 000 kr (50 000 to 1 500 000);
  project costs of 1.5 to 3 times the request (so 50 % co-financing binds for some);
* five categories (four cluster themes and business networks), two regions (tags) and
  applicant organisations that often send more than one application;
* a frame of about half of the requests, in whole 10 000 kr;
* ``n_rules`` rules of the kinds such calls have (:func:`call_rules`), from
  :mod:`allocator.rules`.

``SIZES`` lists the registered sizes (100, 200, 1 000, 10 000, 100 000) and their rule
counts; :func:`instance` returns the registered instance of a size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allocator import Application, Criterion, Problem
from allocator.rules import (
    CoFinancing,
    Exclusive,
    FundedCount,
    GroupLimit,
    MaxGrant,
    MustFund,
    MustNotFund,
    Requires,
)

__all__ = ["CRITERIA", "SIZES", "call_rules", "instance", "knapsack_call", "make_call"]

CRITERIA = ("green", "smart", "innovation", "value_creation")
WEIGHTS = {"green": 0.3, "smart": 0.2, "innovation": 0.3, "value_creation": 0.2}
THEMES = ("klynge: prosessindustri", "klynge: vannteknologi", "klynge: mikro- og nanoteknologi", "klynge: IT")
NETWORK = "bedriftsnettverk"

SIZES: dict[int, int] = {100: 10, 200: 15, 1_000: 15, 10_000: 20, 100_000: 20}
"""Registered sizes: number of applications -> number of rules."""


def _applications(n: int, rng: np.random.Generator) -> list[Application]:
    quality = rng.normal(size=n)
    steps = np.clip(np.rint(rng.lognormal(np.log(30), 0.6, size=n)), 5, 150).astype(np.int64)
    cost_factor = rng.uniform(1.5, 3.0, size=n)
    is_network = rng.random(n) < 0.35
    theme = rng.integers(0, len(THEMES), size=n)
    region = np.where(rng.random(n) < 0.4, "Telemark", "Vestfold")
    n_orgs = max(2, int(n / 1.6))
    org = rng.integers(0, n_orgs, size=n)
    apps = []
    for i in range(n):
        scores = {c: float(np.clip(np.rint(4 + 1.2 * quality[i] + rng.normal()), 1, 7)) for c in CRITERIA}
        requested = int(steps[i]) * 10_000
        apps.append(
            Application(
                id=f"2022-{i + 1:06d}",
                title=f"Project {i + 1}",
                applicant=f"Org {int(org[i]):05d}",
                requested=requested,
                total_cost=int(np.ceil(requested * cost_factor[i] / 10_000)) * 10_000,
                category=NETWORK if is_network[i] else THEMES[int(theme[i])],
                tags=(str(region[i]),),
                scores=scores,
            )
        )
    return apps


def call_rules(apps: list[Application], frame: int, n_rules: int, rng: np.random.Generator) -> list[Any]:
    """``n_rules`` rules such a call has, in a fixed order of kinds (then pairs of ids)."""
    n = len(apps)
    median = int(np.median([a.requested for a in apps]))
    # Locks only on applications the other rules allow (co-financing, eligibility).
    lockable = [
        a
        for a in apps
        if a.total_cost is not None and 2 * a.requested <= a.total_cost and a.scores["value_creation"] >= 2
    ]
    rules: list[Any] = [
        GroupLimit(
            category="klynge*", per="category", max_share=0.4, label="at most 40 % of the frame per cluster theme"
        ),
        GroupLimit(category=NETWORK, min_count=max(1, n // 100), label="business networks: a minimum number funded"),
        CoFinancing(share=0.5, label="at most 50 % of the project cost"),
        MaxGrant(per="applicant", amount=3 * median, label="at most three median grants per organisation"),
        FundedCount(max=int(0.55 * n), label="at most 55 % of the applications funded"),
        GroupLimit(tag="Telemark", min_share=0.3, label="at least 30 % of the frame to Telemark"),
        GroupLimit(category=NETWORK, max_share=0.35, label="at most 35 % of the frame to networks"),
        MustFund(ids=[lockable[0].id], label="continuation of a running project"),
        MustNotFund(ids=[apps[-1].id], label="withdrawn"),
    ]
    k = 0
    while len(rules) < n_rules:
        a, b = (apps[int(i)].id for i in rng.choice(n, size=2, replace=False))
        if k % 2 == 0:
            rules.append(Exclusive(ids=[a, b], label=f"same project twice: {a} / {b}"))
        else:
            rules.append(Requires(ids=[a], requires=[b], label=f"{a} builds on {b}"))
        k += 1
    return rules[:n_rules]


def make_call(n: int, n_rules: int | None = None, seed: int = 0, *, name: str | None = None) -> Problem:
    """A call with ``n`` applications and ``n_rules`` rules (default: :data:`SIZES` or 15)."""
    rng = np.random.default_rng(seed)
    apps = _applications(n, rng)
    frame = (sum(a.requested for a in apps) // 2 // 10_000) * 10_000
    k = SIZES.get(n, 15) if n_rules is None else n_rules
    criteria = [
        Criterion(name=c, weight=WEIGHTS[c], scale_min=1, scale_max=7, threshold=2.0 if c == "value_creation" else None)
        for c in CRITERIA
    ]
    return Problem(
        name=name or f"call-{n}-{k}rules-seed{seed}",
        frame=frame,
        criteria=criteria,
        applications=apps,
        rules=call_rules(apps, frame, k, rng),
    )


def knapsack_call(n: int, seed: int = 0) -> Problem:
    """The same call without rules and thresholds: a plain knapsack (the fast path's case)."""
    p = make_call(n, 0, seed)
    crits = [c.model_copy(update={"threshold": None}) for c in p.criteria]
    return p._rebuilt(criteria=crits, name=f"knapsack-{n}-seed{seed}")


def instance(n: int, seed: int = 0) -> Problem:
    """The registered instance with ``n`` applications (see :data:`SIZES`)."""
    if n not in SIZES:
        raise KeyError(f"no registered size {n}; sizes: {sorted(SIZES)}")
    return make_call(n, SIZES[n], seed)
