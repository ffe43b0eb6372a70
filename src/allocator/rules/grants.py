"""A portfolio as the checker reads it: grant per application id from a Solution, a dict or
a DataFrame, every amount and id checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from allocator.exceptions import AllocatorError
from allocator.model.problem import Problem
from allocator.model.selectors import did_you_mean

__all__ = ["grants_of"]


def grants_of(problem: Problem, decisions: Any) -> dict[str, int]:
    """Grant per application id from a Solution, a dict id -> grant or a DataFrame.

    Applications not mentioned get 0. Unknown ids and amounts that are not whole kroner of
    at least 0 raise :class:`AllocatorError`.
    """
    if hasattr(decisions, "decisions") and hasattr(decisions, "status"):
        if not decisions.status.has_solution:
            raise AllocatorError(
                f"the solution has status {decisions.status.value!r} and no decisions to check; "
                "check a solved portfolio or a dict of grants"
            )
        raw: Mapping[Any, Any] = decisions.grants
    elif isinstance(decisions, Mapping):
        raw = decisions
    elif type(decisions).__name__ == "DataFrame":
        col = next((c for c in ("granted", "grant", "amount") if c in decisions.columns), None)
        if "id" not in decisions.columns or col is None:
            raise AllocatorError(
                f"decisions table has columns {[str(c) for c in decisions.columns]}; "
                "give a table with columns 'id' and 'granted'"
            )
        raw = dict(zip(decisions["id"].tolist(), decisions[col].tolist(), strict=True))
    else:
        raise AllocatorError(
            f"cannot check {type(decisions).__name__}; give a Solution, a dict id -> grant "
            "or a DataFrame with columns 'id' and 'granted'"
        )
    known = {a.id for a in problem.applications}
    out = {a.id: 0 for a in problem.applications}
    for k, v in raw.items():
        key = str(int(k)) if isinstance(k, float) and k.is_integer() else str(k)
        if key not in known:
            raise AllocatorError(f"decisions: unknown application id {key!r}{did_you_mean(key, sorted(known))}")
        if isinstance(v, bool) or v is None:
            v = 0 if not v else None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or v < 0:
            raise AllocatorError(
                f"decisions: application {key!r}: grant {v!r} is not whole kroner of at least 0; give the grant in kroner"
            )
        out[key] = v
    return out
