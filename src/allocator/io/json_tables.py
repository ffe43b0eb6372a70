"""JSON files of applications: a list of records (one object per application), or a whole
:class:`~allocator.model.problem.Problem` as written by ``problem.model_dump_json()``.

The text is UTF-8, or UTF-16/32 with a byte-order mark (:func:`allocator.model.encoding.decode`);
JSON nested hundreds of levels deep and integers of more than 4 300 digits are refused with an
:class:`~allocator.exceptions.InputError` (Python would raise RecursionError or ValueError).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.exceptions import InputError
from allocator.model.encoding import decode
from allocator.model.problem import Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["is_problem", "problem_from_json", "read_json", "read_json_table"]


def read_json(p: Path) -> Any:
    """The parsed JSON of a file: UTF-8 (or UTF-16/32 with a mark), not nested too deeply, no 4 300-digit numbers."""
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read {str(p)!r}: {exc.strerror or exc}; check the file and its permissions", value=str(p)
        ) from None
    text = decode(raw, p.name, legacy=False)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{p.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}; correct it there "
            "(names and text in double quotes, commas between items)",
            value=str(p),
        ) from None
    except RecursionError:
        raise InputError(
            f"{p.name}: the JSON is nested too deeply to read (lists or objects inside each other hundreds of levels "
            "deep); give a list of records, one object per application, or a Problem as written by allocator",
            value=str(p),
        ) from None
    except ValueError:  # an integer of more than 4 300 digits
        raise InputError(
            f"{p.name} holds a number of more than 4 300 digits; give amounts in whole kroner (at most 14 digits)",
            value=str(p),
        ) from None


def is_problem(data: Any) -> bool:
    """Whether parsed JSON is a whole Problem (it has applications and criteria)."""
    return isinstance(data, dict) and "applications" in data and "criteria" in data


def read_json_table(p: Path) -> pd.DataFrame:
    """A JSON file of records (or a whole Problem) as a table of applications."""
    import pandas as pd

    data = read_json(p)
    if is_problem(data):
        return Problem.model_validate(data).to_frame()
    records = data.get("applications") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(
            f"{p.name}: expected a list of records (one object per application) or a Problem; "
            f'got {type(data).__name__}; give a list such as [{{"id": "A-1", "requested": 150000, "green": 5}}]',
            value=str(p),
        )
    flat = []
    for r in records:
        row = {k: v for k, v in r.items() if k not in ("scores", "attributes")}
        for nested in ("scores", "attributes"):
            if isinstance(r.get(nested), dict):
                row.update({k: v for k, v in r[nested].items() if k not in row})
        if isinstance(row.get("tags"), list):
            row["tags"] = ";".join(str(t) for t in row["tags"])
        flat.append(row)
    return pd.DataFrame(flat)


def problem_from_json(
    data: dict[str, Any], p: Path, *, frame: int | None, weights: dict[str, float] | None, **kw: Any
) -> Problem:
    """A whole Problem read from JSON, with the frame, weights, options or name given replacing its own."""

    unknown = sorted(set(kw) - {"options", "name"})
    if unknown:
        raise InputError(
            f"{p.name} holds a whole Problem; {unknown[0]}= applies only to tables "
            "(give frame=, weights=, options= or name= to change it)",
            column=unknown[0],
        )
    problem: Problem = Problem.model_validate(data)
    if frame is not None:
        problem = problem.with_frame(frame)
    if weights is not None:
        problem = problem.with_weights(weights)
    if kw.get("options"):
        problem = problem.with_options(**dict(kw["options"]))
    if kw.get("name"):
        problem = problem.model_copy(update={"name": str(kw["name"])})
    return problem
