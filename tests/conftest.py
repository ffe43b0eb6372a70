"""Shared fixtures and hypothesis strategies.

Other test modules use them with ``from tests.conftest import problems`` (``tests`` is a
package) or through the fixtures below. The hypothesis profile ``ci`` (moderate
``max_examples``, no deadline) is loaded by default; ``HYPOTHESIS_PROFILE=thorough`` runs
many more examples.

``problems(**knobs)`` draws random, valid calls in the project's own terms: scores on 1-7
scales, requests in 10 000 kr steps, a frame of about half the requests, optional
thresholds, optional partial funding with minimums and a step. Keep ``max_n`` at 14 or
below for binary and about 5 for partial funding when comparing with :mod:`tests.brute`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from allocator import Application, Criterion, Options, Problem

__all__ = ["CRITERIA_NAMES", "examples", "ids", "problems", "solver_names"]

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))



def examples(k: int) -> settings:
    """Settings with ``k`` examples under the ``ci`` profile, proportionally more under larger ones."""
    return settings(max_examples=max(1, k * settings.default.max_examples // 40))


CRITERIA_NAMES = ("green", "smart", "innovation", "value_creation")
_WEIGHTS = (0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 1.0, 2.0)


def ids(n: int) -> st.SearchStrategy[list[str]]:
    """``n`` unique ids mixing forms whose natural order differs from text order ('A-2' < 'A-10')."""
    one = st.one_of(
        st.builds(lambda p, k: f"{p}-{k}", st.sampled_from(["A", "B", "2022"]), st.integers(1, 30)),
        st.integers(1, 120).map(str),
    )
    return st.lists(one, min_size=n, max_size=n, unique=True)


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
    frame_share: tuple[float, float] = (0.3, 0.7),
    max_request_steps: int | None = None,
) -> Problem:
    """A random, valid :class:`Problem`.

    Parameters
    ----------
    min_n, max_n
        Number of applications.
    partial
        Partial funding: True, False, or None to draw either. With partial funding,
        requests are 1-6 steps of 10 000 kr (unless ``max_request_steps``), the step is
        10 000, 15 000 or 20 000 kr, and some applications declare a minimum (some off the
        step grid); ``min_share`` is sometimes set.
    thresholds
        Draw optional per-criterion thresholds and a threshold on the weighted total.
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
        The frame as a share of the total request, drawn within this range (10 000 kr steps).
    max_request_steps
        Largest request in 10 000 kr steps (default 30 binary, 6 partial).
    """
    n = draw(st.integers(min_n, max_n))
    is_partial = draw(st.booleans()) if partial is None else partial
    k = draw(st.integers(min_criteria, max_criteria))
    names = list(CRITERIA_NAMES[1:])
    chosen = draw(st.permutations(names))[: k]
    has_green = draw(st.booleans()) if green is None else green
    if has_green:
        chosen = ["green", *chosen[: max(0, k - 1)]]
    criteria = []
    for name in chosen:
        threshold = draw(st.one_of(st.none(), st.sampled_from([2.0, 3.0, 4.0]))) if thresholds else None
        criteria.append(
            Criterion(name=name, weight=draw(st.sampled_from(_WEIGHTS)), scale_min=1, scale_max=7, threshold=threshold)
        )
    top = max_request_steps or (6 if is_partial else 30)
    score_values = [float(v) for v in range(1, 8)]
    if half_points:
        score_values += [v + 0.5 for v in range(1, 7)]
    profile = st.tuples(
        st.integers(1, top),
        st.fixed_dictionaries({c.name: st.sampled_from(score_values) for c in criteria}),
    )
    if ties:
        pool = draw(st.lists(profile, min_size=1, max_size=max(1, n // 2 + 1)))
        profiles = draw(st.lists(st.sampled_from(pool) | profile, min_size=n, max_size=n))
    else:
        profiles = draw(st.lists(profile, min_size=n, max_size=n))
    app_ids = draw(ids(n))
    apps = []
    for app_id, (steps, scores) in zip(app_ids, profiles, strict=True):
        requested = steps * 10_000
        minimum = None
        if is_partial and draw(st.booleans()):
            minimum = draw(st.sampled_from([m for m in (5_000, 10_000, 20_000, 25_000, 30_000) if m <= requested] or [requested]) | st.just(requested))
        apps.append(Application(id=app_id, requested=requested, minimum=minimum, scores=scores))
    total = sum(a.requested for a in apps)
    share = draw(st.floats(*frame_share))
    frame = max(10_000, round(total * share / 10_000) * 10_000)
    opts: dict[str, Any] = {
        "normalisation": draw(st.sampled_from(["max", "range"])) if normalisation is None else normalisation,
    }
    if is_partial:
        opts["partial"] = True
        opts["step"] = draw(st.sampled_from([10_000, 15_000, 20_000]))
        opts["min_share"] = draw(st.sampled_from([None, None, 0.25, 0.5, 0.3]))
    if thresholds:
        opts["min_total_score"] = draw(st.one_of(st.none(), st.sampled_from([0.2, 0.35, 0.5, 0.6])))
    if tie_break:
        keys = [c.name for c in criteria] + ["granted", "-granted"] + [f"-{c.name}" for c in criteria]
        opts["tie_break"] = tuple(draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)))
    return Problem(frame=frame, criteria=criteria, applications=apps, options=Options(**opts))


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
    data = [("A-1", 300_000, 6, 5), ("A-2", 200_000, 4, 6), ("A-10", 200_000, 6, 4), ("B-3", 150_000, 2, 7), ("B-4", 400_000, 7, 7)]
    apps = [Application(id=i, requested=r, scores={"green": g, "smart": s}) for i, r, g, s in data]
    return Problem(name="small", frame=625_000, criteria=crit, applications=apps)
