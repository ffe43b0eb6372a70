"""The applications back as a DataFrame (the inverse of :func:`allocator.model.table.fields_from_frame`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from allocator.model.parts import Application, Criterion

__all__ = ["frame_of"]


def frame_of(applications: Sequence[Application], criteria: Sequence[Criterion]) -> pd.DataFrame:
    """The applications as a DataFrame, readable again by :func:`fields_from_frame`.

    Columns: ``id``, ``title``, ``applicant``, ``category``, ``requested``, ``minimum``,
    ``total_cost`` (nullable integers), ``tags`` (joined with ';'), one column per
    criterion (its name), then the attributes (those whose name is not already a column).

    Examples
    --------
    >>> from allocator.data import load_example
    >>> p = load_example()
    >>> frame_of(p.applications, p.criteria).columns[:8].tolist()
    ['id', 'title', 'applicant', 'category', 'requested', 'minimum', 'total_cost', 'tags']
    """
    apps = applications
    data: dict[str, Any] = {
        "id": [a.id for a in apps],
        "title": [a.title for a in apps],
        "applicant": [a.applicant for a in apps],
        "category": [a.category for a in apps],
        "requested": pd.array([a.requested for a in apps], dtype="int64"),
        "minimum": pd.array([a.minimum for a in apps], dtype="Int64"),
        "total_cost": pd.array([a.total_cost for a in apps], dtype="Int64"),
        "tags": [";".join(a.tags) for a in apps],
    }
    for c in criteria:
        data[c.name] = [a.scores[c.name] for a in apps]
    for c in criteria:
        if any(c.name in a.spread for a in apps):
            data[f"{c.name}_min"] = [a.spread[c.name][0] if c.name in a.spread else None for a in apps]
            data[f"{c.name}_max"] = [a.spread[c.name][1] if c.name in a.spread else None for a in apps]
    keys: list[str] = []
    for a in apps:
        keys.extend(k for k in a.attributes if k not in keys and k not in data)
    for k in keys:
        data[k] = [a.attributes.get(k) for a in apps]
    return pd.DataFrame(data)
