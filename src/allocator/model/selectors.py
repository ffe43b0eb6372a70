"""Which applications a rule is about: by id, category, tag or any column's value.

Columns are the application's fields (``id``, ``title``, ``applicant``, ``category``,
``tags``, ``requested``, ``minimum``, ``total_cost``) and every other column of the input
table, kept in ``Application.attributes`` under its header (``"Fylkesdel"``). Column
names and text values are matched ignoring case and extra spaces; ``*`` and ``?`` in a
value are wildcards. A selector that names a column, category, tag, value or id that no
application has is a mistake, reported as one :class:`~allocator.exceptions.PolicyError`
with the nearest known names.

Examples
--------
>>> from allocator import Problem, Criterion, Application
>>> from allocator.model.rules import GroupLimit
>>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1)], applications=[
...     Application(id="A", requested=10, category="cluster: water", scores={"g": 1}),
...     Application(id="B", requested=10, category="network", scores={"g": 1},
...                 attributes={"Fylkesdel": "Telemark"})])
>>> select(GroupLimit(category="cluster*", max_count=1), p)
[0]
>>> select(GroupLimit(where={"fylkesdel": "telemark"}, max_count=1), p)
[1]
>>> select(GroupLimit(category="netwrk", max_count=1, label="one network"), p)
Traceback (most recent call last):
...
allocator.exceptions.PolicyError: rule 'one network': no application has category 'netwrk'; did you mean 'network'? The categories are ['cluster: water', 'network']
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from allocator.exceptions import PolicyError
from allocator.model.call import Call

__all__ = [
    "FIELDS",
    "column_values",
    "columns",
    "did_you_mean",
    "groups",
    "matches",
    "resolve_column",
    "rule_where",
    "select",
    "unknown",
]

FIELDS = ("id", "title", "applicant", "category", "tags", "requested", "minimum", "total_cost")
"""Application fields usable as columns."""


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest known name (case-insensitive), or ``""``."""
    folded = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[close[0]]!r}?" if close else ""


def unknown(where: str, what: str, name: Any, known: Sequence[str], plural: str) -> PolicyError:
    """``where: unknown what 'name'; did you mean 'x'? The plural are [...]`` as a PolicyError."""
    hint = did_you_mean(str(name), known)
    shown = list(known) if len(known) <= 30 else [*known[:30], "..."]
    tail = f"{hint[2:]} The {plural} are {shown}" if hint else f"the {plural} are {shown}"
    return PolicyError(f"{where}: {what} {name!r}; {tail}")


def rule_where(rule: Any, index: int | None = None) -> str:
    """How error messages name a rule: ``rule 'label'`` or ``rule 3 ('label')``."""
    return f"rule {rule.display!r}" if index is None else f"rule {index + 1} ({rule.display!r})"


def _key(s: Any) -> str:
    return " ".join(str(s).split()).casefold()


def columns(problem: Call) -> list[str]:
    """Every column a selector may use: the fields, then the attribute columns."""
    out = list(FIELDS)
    seen = set(out)
    for a in problem.applications:
        for k in a.attributes:
            if k not in seen:
                seen.add(k)
                out.append(k)
    return out


def resolve_column(problem: Call, name: str, where: str) -> str:
    """The column ``name`` refers to (exact, else ignoring case and spaces); PolicyError if
    none, or if several columns differ from it only so."""
    known = columns(problem)
    if name in known:
        return name
    folded = [k for k in known if _key(k) == _key(name)]
    if len(folded) == 1:
        return folded[0]
    if folded:
        raise PolicyError(
            f"{where}: column {name!r} is ambiguous: ignoring case and spaces it is each of {folded}; "
            "give one of them exactly as written"
        )
    raise unknown(where, "unknown column", name, known, "columns")


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def column_values(problem: Call, column: str) -> list[Any]:
    """The value of ``column`` (already resolved) for every application, in input order."""
    if column in FIELDS:
        return [getattr(a, column) for a in problem.applications]
    return [a.attributes.get(column) for a in problem.applications]


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip().replace(",", ".").replace(" ", ""))
        except ValueError:
            return None
    return None


def matches(value: Any, pattern: Any) -> bool:
    """Whether a cell matches a selector value (numbers numerically, text ignoring case,
    ``*``/``?`` wildcards). A tuple cell (tags) matches if any element does."""
    if isinstance(value, tuple):
        return any(matches(v, pattern) for v in value)
    if _missing(value):
        return _missing(pattern)
    if isinstance(pattern, bool) or isinstance(value, bool):
        return _key(value) == _key(pattern)
    a, b = _number(value), _number(pattern)
    if a is not None and b is not None and not (isinstance(pattern, str) and any(c in pattern for c in "*?")):
        return a == b
    p = _key(pattern)
    if any(c in p for c in "*?["):
        return fnmatchcase(_key(value), p)
    return _key(value) == p


def _distinct(values: list[Any]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        for x in v if isinstance(v, tuple) else (v,):
            if not _missing(x) and _key(x) not in seen:
                seen.add(_key(x))
                out.append(str(x))
    return out


def _condition(values: list[Any], wanted: Sequence[Any], what: str, where: str) -> set[int]:
    hits: set[int] = set()
    for w in wanted:
        # one match per distinct cell value, not per application (cells are scalars or tuples
        # of text, all hashable; the type is in the key, so that 1 and True stay apart)
        memo: dict[tuple[type, Any], bool] = {}
        found = set()
        for i, v in enumerate(values):
            key = (type(v), v)
            if key not in memo:
                memo[key] = matches(v, w)
            if memo[key]:
                found.add(i)
        if not found:
            plural = f"values of {what.split()[1]}" if what.startswith("column") else f"{what.split()[0]}s"
            if what.startswith("category"):
                plural = "categories"
            raise unknown(where, f"no application has {what}", w, _distinct(values), plural)
        hits |= found
    return hits


def select(rule: Any, problem: Call, *, where: str | None = None) -> list[int]:
    """Indices (input order) of the applications ``rule`` selects; PolicyError for unknown names."""
    where = where or rule_where(rule)
    n = len(problem.applications)
    chosen = set(range(n))
    if rule.ids:
        ids = {a.id: i for i, a in enumerate(problem.applications)}
        sel = set()
        for x in rule.ids:
            if x not in ids:
                raise unknown(where, "unknown application id", x, list(ids), "ids")
            sel.add(ids[x])
        chosen &= sel
    if rule.category:
        chosen &= _condition(column_values(problem, "category"), rule.category, "category", where)
    if rule.tag:
        chosen &= _condition(column_values(problem, "tags"), rule.tag, "tag", where)
    for col, vals in rule.where.items():
        c = resolve_column(problem, col, where)
        chosen &= _condition(column_values(problem, c), vals, f"column {c!r} =", where)
    return sorted(chosen)


def groups(problem: Call, indices: list[int], per: str | None, where: str) -> list[tuple[str, list[int]]]:
    """Split ``indices`` by the value of column ``per`` (one group of all if ``per`` is None).

    Applications with an empty cell in ``per`` belong to no group. ``per="application"``
    makes one group per application (named by its id).
    """
    if per is None:
        return [("", list(indices))]
    if _key(per) == "application":
        return [(problem.applications[i].id, [i]) for i in indices]
    col = resolve_column(problem, per, where)
    values = column_values(problem, col)
    out: dict[str, tuple[str, list[int]]] = {}
    for i in indices:
        v = values[i]
        for x in v if isinstance(v, tuple) else (v,):
            if _missing(x):
                continue
            k = _key(x)
            if k not in out:
                out[k] = (str(x), [])
            out[k][1].append(i)
    return [(name, idx) for name, idx in out.values()]
