"""Shared fixtures and hypothesis strategies.

Other test modules use them with ``from tests.conftest import problems`` (``tests`` is a
package) or through the fixtures below.

Hypothesis profiles: ``ci`` (the default, what CI runs: 1.5 times the depth the suite had
before the profiles), ``dev`` (that earlier depth, for quick runs while developing:
``HYPOTHESIS_PROFILE=dev``) and ``thorough`` (50 times ``dev``). No test hard-codes its number of examples: each asks for ``examples(k)``, ``k``
examples at the ``dev`` depth and proportionally more under the deeper profiles.

``problems(**knobs)`` draws random, valid calls over the whole space the library accepts:
any whole-kroner requests (not only round ones), frames from 1 kr to 120 % of the total
(and exactly at the edges: everything fits, one krone short, below the smallest request),
scales other than 1-7 (0-based, 0-10, 0-100, non-integer, reaching below 0), integer,
half-point and two-decimal scores, decimal weights (some 0), thresholds on any score of the
scale, both normalisations, many exact ties, and ids that differ only in zero padding.
Keep ``max_n`` at 14 or below for binary and about 5 for partial funding when comparing with
:mod:`tests.brute`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from allocator import Application, Criterion, Options, Problem

__all__ = ["CRITERIA_NAMES", "SCALES", "examples", "ids", "problems", "solver_names"]

_BASE = {"dev": 40, "ci": 60, "thorough": 2000}
for _name, _n in _BASE.items():
    settings.register_profile(
        _name,
        max_examples=_n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
        # CI draws the same examples on every run (a landing is judged on one run); dev and
        # thorough draw new ones each time and are where new failures are found
        derandomize=_name == "ci",
        database=None if _name == "ci" else settings.default.database,
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(k: int) -> settings:
    """Settings with ``k`` examples under the ``dev`` profile, proportionally more under deeper ones."""
    return settings(max_examples=max(1, k * settings.default.max_examples // _BASE["dev"]))


CRITERIA_NAMES = ("green", "smart", "innovation", "value_creation")
_WEIGHTS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 1.0, 2.0)
SCALES: tuple[tuple[float, float], ...] = (
    (1, 7),
    (1, 7),
    (1, 7),
    (0, 10),
    (0, 5),
    (1, 5),
    (0, 100),
    (0.5, 4.5),
    (0, 2.5),
    (-2, 3),
)
"""Scales drawn by :func:`problems` (1-7 most often, as the county's)."""


def ids(n: int) -> st.SearchStrategy[list[str]]:
    """``n`` unique ids whose natural order differs from text order ('A-2' < 'A-10'), some
    equal as numbers and different as text ('A-1', 'A-01', '007', '7')."""
    one = st.one_of(
        st.builds(lambda p, k: f"{p}-{k}", st.sampled_from(["A", "B", "2022"]), st.integers(1, 30)),
        st.integers(1, 120).map(str),
        st.builds(
            lambda p, k, w: f"{p}{k:0{w}d}",
            st.sampled_from(["A-", "A-0", "", "R2-"]),
            st.integers(0, 12),
            st.integers(1, 3),
        ),
    )
    return st.lists(one, min_size=n, max_size=n, unique=True)


def _decimals(lo: float, hi: float, places: int) -> st.SearchStrategy[float]:
    """Decimals with ``places`` digits in [lo, hi], as typed (0.37, not 0.37000000000000001)."""
    u = 10**places
    return st.integers(round(lo * u), round(hi * u)).map(lambda k: round(k / u, places))


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    min_n: int = 1,
    max_n: int = 10,
    partial: bool | None = False,
    thresholds: bool = False,
    min_criteria: int = 1,
    max_criteria: int = 3,
    green: bool | None = None,
    ties: bool = True,
    half_points: bool = False,
    normalisation: str | None = "max",
    tie_break: bool = False,
    frame_share: tuple[float, float] = (0.0, 1.2),
    max_request_steps: int | None = None,
    wide: bool = True,
) -> Problem:
    """A random, valid :class:`Problem`.

    Parameters
    ----------
    min_n, max_n
        Number of applications.
    partial
        Partial funding: True, False, or None to draw either. With partial funding,
        requests are up to 6 steps of 10 000 kr (unless ``max_request_steps``), any whole
        amount, the step is 10 000, 12 345, 15 000 or 20 000 kr, and some applications
        declare a minimum (any amount up to the request); ``min_share`` is sometimes set.
    thresholds
        Draw optional per-criterion thresholds (any score of the scale) and a threshold on
        the weighted total.
    min_criteria, max_criteria
        Number of criteria (names from :data:`CRITERIA_NAMES`).
    green
        Force the ``green`` criterion in (True) or out (False); None draws.
    ties
        Draw applications from a small pool of (request, scores) profiles so that equal
        values, and therefore the tie-break, occur often.
    half_points
        Allow half points (3.5) besides whole scores.
    normalisation
        ``"max"``, ``"range"``, or None to draw.
    tie_break
        Draw an explicit ``Options.tie_break`` (criterion names, ``granted``, ``-granted``).
    frame_share
        The frame as a share of the total request, drawn within this range (whole kroner, at
        least 1); a third of the time the frame is an edge instead (the total, one krone
        below or above it, the smallest request or one krone either side, 1 kr).
    max_request_steps
        Largest request in 10 000 kr steps (default 30 binary, 6 partial).
    wide
        Draw scales, weights, scores and amounts over the whole space (default); ``False``
        keeps the county's shape (1-7 scales, listed weights, requests in 10 000 kr steps).
    """
    n = draw(st.integers(min_n, max_n))
    is_partial = draw(st.booleans()) if partial is None else partial
    k = draw(st.integers(min_criteria, max_criteria))
    names = list(CRITERIA_NAMES[1:])
    chosen = draw(st.permutations(names))[:k]
    has_green = draw(st.booleans()) if green is None else green
    if has_green:
        chosen = ["green", *chosen[: max(0, k - 1)]]
    criteria = []
    score_values: dict[str, list[float]] = {}
    for name in chosen:
        lo, hi = draw(st.sampled_from(SCALES)) if wide else (1, 7)
        values = [float(v) for v in range(int(-(-lo // 1)), int(hi // 1) + 1)]
        if half_points:
            values += [v + 0.5 for v in values if v + 0.5 <= hi]
        if wide and (lo, hi) != (1, 7):
            values += [float(lo), float(hi)]
        if wide and draw(st.integers(0, 3)) == 0:  # a few scores with two decimals
            values += draw(st.lists(_decimals(lo, hi, 2), min_size=1, max_size=3))
        values = sorted(set(values))
        score_values[name] = values
        threshold = draw(st.one_of(st.none(), st.sampled_from(values))) if thresholds else None
        if wide:
            weight = draw(st.one_of(st.sampled_from(_WEIGHTS), _decimals(0, 3, 3), st.just(0.0)))
        else:
            weight = draw(st.sampled_from(_WEIGHTS))
        criteria.append(Criterion(name=name, weight=weight, scale_min=lo, scale_max=hi, threshold=threshold))
    if sum(c.weight for c in criteria) <= 0:
        criteria[0] = criteria[0].model_copy(update={"weight": 1.0})
    top = max_request_steps or (6 if is_partial else 30)
    round_amounts = st.integers(1, top).map(lambda s: s * 10_000)
    amounts = st.one_of(round_amounts, st.integers(1, top * 10_000)) if wide else round_amounts
    profile = st.tuples(
        amounts, st.fixed_dictionaries({c.name: st.sampled_from(score_values[c.name]) for c in criteria})
    )
    if ties:
        pool = draw(st.lists(profile, min_size=1, max_size=max(1, n // 2 + 1)))
        profiles = draw(st.lists(st.sampled_from(pool) | profile, min_size=n, max_size=n))
    else:
        profiles = draw(st.lists(profile, min_size=n, max_size=n))
    app_ids = draw(ids(n))
    apps = []
    for app_id, (requested, scores) in zip(app_ids, profiles, strict=True):
        minimum = None
        if is_partial and draw(st.booleans()):
            listed = [m for m in (5_000, 10_000, 20_000, 25_000, 30_000) if m <= requested] or [requested]
            minimum = draw(st.sampled_from(listed) | st.just(requested) | st.integers(1, requested))
        apps.append(Application(id=app_id, requested=requested, minimum=minimum, scores=scores))
    if is_partial:
        step = draw(st.sampled_from([10_000, 12_345, 15_000, 20_000]))
        share = draw(st.sampled_from([None, None, 0.25, 0.5, 0.3, 0.37]))
        apps = _within_enumeration(apps, step, share, min_n)
    total = sum(a.requested for a in apps)
    smallest = min(a.requested for a in apps)
    if draw(st.integers(0, 2)) == 0:
        frame = draw(st.sampled_from([total, total - 1, total + 1, smallest - 1, smallest, smallest + 1, 1]))
    else:
        frame = round(total * draw(st.floats(*frame_share)))
    frame = max(1, frame)
    opts: dict[str, Any] = {
        "normalisation": draw(st.sampled_from(["max", "range"])) if normalisation is None else normalisation,
    }
    if is_partial:
        opts["partial"] = True
        opts["step"] = step
        opts["min_share"] = share
    if thresholds:
        top_score = sum(c.weight for c in criteria)
        opts["min_total_score"] = draw(
            st.one_of(st.none(), st.sampled_from([0.2, 0.35, 0.5, 0.6]), _decimals(0, top_score, 2))
        )
    if tie_break:
        keys = [c.name for c in criteria] + ["granted", "-granted"] + [f"-{c.name}" for c in criteria]
        opts["tie_break"] = tuple(draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)))
    return Problem(frame=frame, criteria=criteria, applications=apps, options=Options(**opts))


PORTFOLIO_LIMIT = 20_000
"""The most grant vectors a drawn problem with partial funding has (before the frame):
brute force enumerates them, several times per example."""


def _within_enumeration(apps: list[Application], step: int, share: float | None, min_n: int) -> list[Application]:
    """The first applications of ``apps`` whose grant levels (0, the minimum, steps above it
    and the request) multiply to at most :data:`PORTFOLIO_LIMIT` (never fewer than ``min_n``)."""
    kept: list[Application] = []
    count = 1
    for a in apps:
        if a.minimum is not None:
            m = a.minimum
        elif share is not None:
            m = max(1, -(-a.requested * round(share * 100) // 100))
        else:
            m = min(step, a.requested)
        levels = 2 + max(0, (a.requested - m - 1) // step)
        if len(kept) >= min_n and count * levels > PORTFOLIO_LIMIT:
            break
        kept.append(a)
        count *= levels
    return kept


def solver_names() -> list[str]:
    """The solvers available here: 'highs', 'pulp-highs', and 'cbc' where PuLP can find it."""
    from allocator.optimize.backends.pulp import cbc_available

    return ["highs", "pulp-highs"] + (["cbc"] if cbc_available() else [])


@pytest.fixture
def small_problem() -> Problem:
    """Five applications, two criteria, a frame of about half the requests; rank-and-fund is not optimal."""
    crit = [
        Criterion(name="green", weight=0.4, scale_min=1, scale_max=7),
        Criterion(name="smart", weight=0.6, scale_min=1, scale_max=7),
    ]
    data = [
        ("A-1", 300_000, 6, 5),
        ("A-2", 200_000, 4, 6),
        ("A-10", 200_000, 6, 4),
        ("B-3", 150_000, 2, 7),
        ("B-4", 400_000, 7, 7),
    ]
    apps = [Application(id=i, requested=r, scores={"green": g, "smart": s}) for i, r, g, s in data]
    return Problem(name="small", frame=625_000, criteria=crit, applications=apps)
