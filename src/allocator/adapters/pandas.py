"""DataFrame <-> Problem. (Minimal version; the full column mapping is in progress.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from allocator.model import Application, Criterion, Problem

__all__ = ["problem_from_frame", "problem_to_frame"]


def problem_from_frame(df: pd.DataFrame, *, frame: int, weights: Mapping[str, float], **kwargs: Any) -> Problem:
    scales = kwargs.pop("scales", {}) or {}
    apps = []
    for _, row in df.iterrows():
        apps.append(
            Application(
                id=row["id"],
                requested=row["requested"],
                scores={k: float(row[k]) for k in weights},
                minimum=None if "minimum" not in df or pd.isna(row["minimum"]) else row["minimum"],
            )
        )
    crits = [Criterion(name=k, weight=w, scale_max=scales.get(k, float(df[k].max()) or 1.0)) for k, w in weights.items()]
    return Problem(frame=frame, criteria=crits, applications=apps, **kwargs)


def problem_to_frame(problem: Problem) -> pd.DataFrame:
    rows = []
    for a in problem.applications:
        rows.append({"id": a.id, "title": a.title, "applicant": a.applicant, "requested": a.requested,
                     "minimum": a.minimum, "total_cost": a.total_cost, "category": a.category,
                     "tags": ";".join(a.tags), **a.scores, **a.attributes})
    return pd.DataFrame(rows)
