"""The lines of a Pabulib ``.pb`` file: numbers and amounts, a PROJECTS line, the META fields
that matter, and the VOTES section streamed into scores (see :mod:`allocator.io.pabulib`)."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from allocator.io.pabulib_file import APPROVAL_TYPES, POINTS_TYPES, PabulibProject, Score
from allocator.io.pabulib_file import pb_error as _error
from allocator.model.limits import MAX_AMOUNT, kroner

__all__ = ["SECTIONS", "budget", "check_projects_header", "project", "read_votes", "section_of", "vote_type"]

SECTIONS = ("meta", "projects", "votes")

_MAX_DECIMALS = 6
"""Costs with more decimals are refused (the money unit would be below a millionth)."""


def _decimal(text: str) -> Decimal | None:
    s = text.strip().replace(",", ".")
    if not s:
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _number(text: str) -> Fraction | None:
    """A decimal as written ('1234', '1234.50', '1234,5'), exactly; None if it is not one
    (or lies beyond 10**15 or has more than 30 decimals, which no file means)."""
    d = _decimal(text)
    if d is None or (d and (d.adjusted() > 15 or int(d.as_tuple().exponent) < -30)):
        return None
    return Fraction(d)


def _money_problem(text: str, *, decimals: int) -> str | None:
    """Why an amount of the file (a cost, the budget) is outside what allocator reads, or None."""
    d = _decimal(text)
    if d is None or not d:
        return None
    if d.adjusted() >= len(str(MAX_AMOUNT)):
        return f"is above the largest amount allocator accepts ({kroner(MAX_AMOUNT)} units)"
    if int(d.as_tuple().exponent) < -decimals and d != d.to_integral_value():
        return f"has more than {decimals} decimals"
    return None


def section_of(row: list[str]) -> str | None:
    if row and row[0].strip().lower() in SECTIONS and not any(f.strip() for f in row[1:]):
        return row[0].strip().lower()
    return None


def check_projects_header(path: Path, line: int, header: list[str]) -> None:
    if not header or header[0] != "project_id":
        raise _error(
            path,
            line,
            "PROJECTS",
            f"the header starts with {header[0] if header else ''!r}, not 'project_id'",
            "make 'project_id' the first column",
        )
    if "cost" not in header:
        raise _error(
            path,
            line,
            "PROJECTS",
            f"the header {';'.join(header)!r} has no 'cost' column",
            "add the cost of each project",
        )


def project(path: Path, line: int, header: list[str], row: list[str]) -> PabulibProject:
    if len(row) > len(header) and any(f.strip() for f in row[len(header) :]):
        raise _error(
            path,
            line,
            "PROJECTS",
            f"{len(row)} fields for {len(header)} columns",
            "quote fields that contain ';' (\"a;b\") or remove the extra fields",
        )
    values = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
    pid = values.pop("project_id")
    if not pid:
        raise _error(path, line, "PROJECTS", "empty project_id", "give every project an id")
    text = values.pop("cost")
    why = _money_problem(text, decimals=_MAX_DECIMALS)
    if why:
        raise _error(
            path,
            line,
            "PROJECTS",
            f"project {pid!r}: cost {text!r} {why}",
            f"give the cost in currency units with at most {_MAX_DECIMALS} decimals",
            value=text,
        )
    cost = _number(text)
    if cost is None:
        raise _error(
            path,
            line,
            "PROJECTS",
            f"project {pid!r}: cost {text!r} is not a number",
            "give the cost as a number of currency units (1234 or 1234.50)",
            value=text,
        )
    if cost <= 0:
        raise _error(
            path,
            line,
            "PROJECTS",
            f"project {pid!r}: cost {text} must be greater than 0",
            "correct the cost, or remove the project",
            value=text,
        )
    name = values.pop("name", "")
    category = values.pop("category", "") or values.pop("categories", "")
    fields = {k: v for k, v in values.items() if v and v.lower() != "none"}
    return PabulibProject(id=pid, cost=cost, cost_text=text, name=name, category=category, fields=fields, line=line)


def vote_type(path: Path, meta: dict[str, str], lines: dict[str, int], line: int) -> str:
    vt = meta.get("vote_type", "").strip().lower()
    if not vt:
        raise _error(
            path,
            line,
            "META",
            "META has no vote_type (needed to read the VOTES)",
            "add a line 'vote_type;approval' (or choose-1, ordinal, cumulative, scoring)",
        )
    if vt not in APPROVAL_TYPES | POINTS_TYPES:
        raise _error(
            path,
            lines.get("vote_type", line),
            "META",
            f"unknown vote_type {vt!r}",
            "use approval, choose-1, ordinal, cumulative or scoring",
            value=vt,
        )
    return vt


def budget(path: Path, meta: dict[str, str], lines: dict[str, int]) -> Fraction:
    if "budget" not in meta:
        raise _error(path, 0, "META", "META has no budget", "add a line 'budget;<amount>'")
    why = _money_problem(meta["budget"], decimals=30)
    if why:
        raise _error(
            path,
            lines["budget"],
            "META",
            f"budget {meta['budget']!r} {why}",
            "give the budget in currency units",
            value=meta["budget"],
        )
    b = _number(meta["budget"])
    if b is None or b <= 0:
        raise _error(
            path,
            lines["budget"],
            "META",
            f"budget {meta['budget']!r} is not a positive number",
            "give the budget as a number of currency units",
            value=meta["budget"],
        )
    return b


def _points(text: str) -> Score | None:
    try:
        return int(text)
    except ValueError:
        return _number(text)


def read_votes(
    path: Path, reader: Any, header: list[str], vote_type: str, projects: dict[str, PabulibProject]
) -> tuple[dict[str, Score], int, Score]:
    """Stream the VOTES section: per-project score, number of ballots, positive points cast."""
    rd = reader  # a csv reader: iteration and .line_num
    start = rd.line_num
    if "vote" not in header:
        raise _error(
            path, start, "VOTES", f"the header {';'.join(header)!r} has no 'vote' column", "add it (voter_id;vote)"
        )
    vi = header.index("vote")
    with_points = vote_type in POINTS_TYPES
    if with_points and "points" not in header:
        raise _error(
            path,
            start,
            "VOTES",
            f"{vote_type} ballots need a 'points' column; the header is {';'.join(header)!r}",
            "add the points of each ballot (voter_id;vote;points)",
        )
    pi = header.index("points") if with_points else -1
    need = max(vi, pi) + 1
    n = 0
    counts: Counter[str] = Counter()
    totals: dict[str, Score] = {}
    cast: Score = 0
    update = counts.update
    spaced_ids = any(" " in p or "\t" in p for p in projects)
    for row in rd:
        if len(row) < need:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            line = rd.line_num
            if section_of(row) is not None:
                raise _error(
                    path, line, row[0].strip().upper(), "a section after VOTES", "VOTES must be the last section"
                )
            raise _error(
                path,
                line,
                "VOTES",
                f"{len(row)} fields, but the 'vote' column is field {vi + 1}",
                "write 'voter_id;vote' on every ballot line",
            )
        n += 1
        v = row[vi]
        if not v or v == "none":
            continue
        if " " in v or "\t" in v:
            v = ",".join(t.strip() for t in v.split(",")) if spaced_ids else v.replace(" ", "").replace("\t", "")
        toks = v.split(",")
        if not with_points:
            update(set(toks) if len(toks) > 1 else toks)
            continue
        pts_text = row[pi]
        pts = pts_text.split(",")
        if len(pts) != len(toks):
            raise _error(
                path,
                rd.line_num,
                "VOTES",
                f"ballot names {len(toks)} projects but gives {len(pts)} points ({pts_text!r})",
                "give one point value per project, in the same order",
                value=pts_text,
            )
        ballot: dict[str, Score] = {}
        for t, q in zip(toks, pts, strict=True):
            val = _points(q.strip())
            if val is None:
                raise _error(
                    path,
                    rd.line_num,
                    "VOTES",
                    f"points {q!r} for project {t!r} is not a number",
                    "give points as numbers",
                    value=q,
                )
            ballot[t] = val  # named twice: the last points count (as pabutools reads it)
        for t, val in ballot.items():
            totals[t] = totals.get(t, 0) + val
            if val > 0:
                cast += val
    scores: dict[str, Score] = dict(totals) if with_points else dict(counts)
    unknown = [t for t in scores if t not in projects]
    if unknown:
        bad = sorted(unknown)[0]
        raise _error(
            path,
            _first_line_naming(path, vi, bad),
            "VOTES",
            f"a ballot names project {bad!r}, which PROJECTS does not list",
            "add the project to PROJECTS or correct the ballot",
            value=bad,
        )
    return scores, n, cast


def _first_line_naming(path: Path, vi: int, token: str) -> int:
    """Line of the first ballot naming ``token`` (error path only: re-reads the file)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        in_votes = False
        for row in reader:
            if section_of(row) == "votes":
                in_votes = True
                next(reader, None)
                continue
            if in_votes and len(row) > vi and token in (t.strip() for t in row[vi].split(",")):
                return reader.line_num
    return 0
