"""Pabulib participatory-budgeting files (``.pb``) -> :class:`~allocator.model.problem.Problem`.

A ``.pb`` file (https://pabulib.org/format) has three ``;``-separated sections, each
opened by a line holding its name and a header line:

* ``META``: ``key;value`` lines; ``budget`` and ``vote_type`` are required;
* ``PROJECTS``: one project per line, ``project_id`` first, a ``cost`` column, optionally
  ``name``, ``category``, ``target`` and anything else;
* ``VOTES``: one ballot per line, ``voter_id`` first and a ``vote`` column listing project
  ids separated by commas (plus ``points`` for cumulative and scoring ballots).

Fields may be quoted (``"a;b"``, with ``""`` for a quote), as the :mod:`csv` module writes
them. The file is read in one pass; the VOTES section is streamed with :mod:`csv` (about
half a second for 100 000 ballots).

The single criterion ``votes`` (weight 1) scores each project:

* ``approval``, ``choose-1``, ``ordinal``: its number of approvals, one per ballot naming
  it (a project named twice in one ballot counts once; ranks are ignored);
* ``cumulative``, ``scoring``: the sum of the points it received (a project named twice in
  one ballot keeps its last points, as pabutools reads it).

The raw score is kept, exactly, as ``Application.attributes["votes"]`` (an ``int`` when
the points are whole numbers, as in every published file). The criterion's scale runs from
0 to the largest score possible (the number of ballots; for points, the total of the
positive points cast), so the normalised score is a project's share of the ballots (or of
the points) and the objective stays integer-scaled: the optimum of :func:`allocator.solve`
maximises the total raw score exactly.

Money. Costs become ``Application.requested`` and the budget the frame, both in whole
currency units. A fractional budget is floored (whole-unit costs fit a budget exactly when
they fit its floor). If some cost is fractional (``1234.5``), every cost and the budget are
multiplied by the least ``D`` making all costs whole (10, 100, ...), the budget is floored
after that, and ``PabulibFile.money_unit`` / the problem's currency say so (``"PLN/100"``).
A project costing more than the whole budget is kept: it can never be funded. A cost of 0
or less is an error (nothing to decide).

Errors (an :class:`~allocator.exceptions.InputError`) name the file, the line, the section
and the fix.

Examples
--------
>>> import tempfile, pathlib
>>> text = '''META
... key;value
... budget;100
... vote_type;approval
... PROJECTS
... project_id;cost;name
... 1;60;Park
... 2;50;Library
... 3;50;Bikes
... VOTES
... voter_id;vote
... v1;1,2
... v2;2,3
... v3;1,3
... v4;2
... '''
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.pb"
>>> _ = path.write_text(text, encoding="utf-8")
>>> pabulib_scores(path)
{'1': 2, '2': 3, '3': 2}
>>> problem = read_pabulib(path)
>>> problem.frame, [a.requested for a in problem.applications]
(100, [60, 50, 50])
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from math import floor, lcm
from pathlib import Path
from typing import Any, TextIO

from allocator.exceptions import AllocatorError, InputError
from allocator.model import Application, Criterion, Problem
from allocator.model.amounts import show
from allocator.model.encoding import decode
from allocator.model.limits import MAX_AMOUNT, kroner

__all__ = [
    "APPROVAL_TYPES",
    "POINTS_TYPES",
    "PabulibFile",
    "PabulibProject",
    "pabulib_scores",
    "parse_pabulib",
    "read_pabulib",
]

APPROVAL_TYPES = frozenset({"approval", "choose-1", "ordinal"})
"""Vote types scored by the number of ballots naming a project."""
POINTS_TYPES = frozenset({"cumulative", "scoring"})
"""Vote types scored by the sum of the points a project received."""

_SECTIONS = ("meta", "projects", "votes")
_CRITERION = "votes"

Score = int | Fraction


@dataclass(frozen=True)
class PabulibProject:
    """One line of the PROJECTS section.

    Attributes
    ----------
    id, cost, name, category
        The project id, its cost (exact, in the file's currency), name and category text.
    cost_text
        The cost as written in the file.
    fields
        Every other column of the line, by header name (text as written).
    line
        Line number in the file.
    """

    id: str
    cost: Fraction
    cost_text: str
    name: str
    category: str
    fields: dict[str, str]
    line: int


@dataclass(frozen=True)
class PabulibFile:
    """A parsed ``.pb`` file: its META fields, projects and each project's raw score.

    Attributes
    ----------
    path
        Where it was read from.
    meta
        The META section (``country``, ``unit``, ``instance``, ``vote_type``, ...), as text.
    vote_type
        ``approval``, ``choose-1``, ``ordinal``, ``cumulative`` or ``scoring``.
    budget
        The budget, exact (it may be fractional).
    projects
        The projects, in file order.
    scores
        Raw score per project id (approvals or points), file order.
    n_voters
        Number of ballots (lines of the VOTES section).
    points_cast
        Total positive points over all ballots (cumulative / scoring; 0 otherwise).
    money_unit
        Costs and the frame of :meth:`to_problem` are in units of ``1 / money_unit`` of the
        currency: 1 unless some cost is fractional.
    """

    path: Path
    meta: dict[str, str]
    vote_type: str
    budget: Fraction
    projects: tuple[PabulibProject, ...]
    scores: dict[str, Score]
    n_voters: int
    points_cast: Score = 0
    money_unit: int = 1
    meta_lines: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """A readable name from META: country, unit, district, instance (else the file name)."""
        m = self.meta
        parts = [m.get(k, "").strip() for k in ("country", "unit", "district", "subunit", "instance")]
        seen: list[str] = []
        for p in parts:
            if p and p not in seen:
                seen.append(p)
        return " ".join(seen) or self.path.stem

    @property
    def scale_max(self) -> Score:
        """The largest score a project could get: the number of ballots, or the points cast."""
        top = self.points_cast if self.vote_type in POINTS_TYPES else self.n_voters
        return max(top, 1)

    @property
    def frame(self) -> int:
        """The budget in money units, floored to a whole number."""
        return floor(self.budget * self.money_unit)

    def _check_range(self) -> None:
        """The frame and every cost in money units (after scaling fractional costs) within range."""
        unit = self.money_unit
        scaled = f" (in units of 1/{unit}, as the costs have decimals)" if unit != 1 else ""
        if self.frame > MAX_AMOUNT:
            raise _error(
                self.path, self.meta_lines.get("budget", 0), "META",
                f"budget {self.meta.get('budget')!r} is {show(self.frame)}{scaled}, above the largest amount "
                f"allocator accepts ({kroner(MAX_AMOUNT)})",
                "give the budget and costs in a larger currency unit, or with fewer decimals", value=self.meta.get("budget"),
            )
        for p in self.projects:
            if p.cost * unit > MAX_AMOUNT:
                raise _error(
                    self.path, p.line, "PROJECTS",
                    f"project {p.id!r}: cost {p.cost_text!r} is {show(int(p.cost * unit))}{scaled}, above the largest "
                    f"amount allocator accepts ({kroner(MAX_AMOUNT)})",
                    "give the costs in a larger currency unit, or with fewer decimals", value=p.cost_text,
                )

    def to_problem(self) -> Problem:
        """The funding question: one criterion ``votes``, the budget as frame, costs as requests."""
        unit = self.money_unit
        frame = self.frame
        self._check_range()
        if frame <= 0:
            line = self.meta_lines.get("budget", 0)
            raise _error(
                self.path, line, "META", f"budget {self.meta.get('budget')!r} is less than one currency unit",
                "give the budget in whole currency units, greater than 0",
            )
        low = min((s for s in self.scores.values()), default=0)
        criterion = Criterion(
            name=_CRITERION,
            weight=1.0,
            scale_min=float(min(low, 0)),
            scale_max=float(self.scale_max),
            label="votes" if self.vote_type in APPROVAL_TYPES else "points",
        )
        apps = []
        for p in self.projects:
            raw = self.scores[p.id]
            labels = ",".join((p.category, p.fields.get("target", ""), p.fields.get("targets", "")))
            tags = tuple(dict.fromkeys(t.strip() for t in labels.split(",") if t.strip()))
            attrs: dict[str, str | int | float | bool | None] = {f"pb_{k}": v for k, v in p.fields.items()}
            attrs["pb_cost"] = p.cost_text
            attrs[_CRITERION] = int(raw) if raw.denominator == 1 else float(raw)
            apps.append(
                Application(
                    id=p.id,
                    title=p.name,
                    category=p.category,
                    tags=tags,
                    requested=int(p.cost * unit),
                    scores={_CRITERION: float(raw)},
                    attributes=attrs,
                )
            )
        currency = self.meta.get("currency", "").strip()
        if unit != 1:
            currency = f"{currency or 'currency'}/{unit}"
        try:
            return Problem(name=self.name, currency=currency, frame=frame, criteria=(criterion,), applications=tuple(apps))
        except AllocatorError as exc:
            raise InputError(f"{self.path.name}: {exc}") from None


def _error(path: Path, line: int, section: str, problem: str, fix: str, *, value: object = None) -> InputError:
    where = f"{path.name}, line {line}" if line else path.name
    if section:
        where += f" ({section})"
    return InputError(f"{where}: {problem}; {fix}", row=line or None, column=section or None, value=value)


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


def _section_of(row: list[str]) -> str | None:
    if row and row[0].strip().lower() in _SECTIONS and not any(f.strip() for f in row[1:]):
        return row[0].strip().lower()
    return None


def parse_pabulib(path: str | os.PathLike[str]) -> PabulibFile:
    """Parse a ``.pb`` file: META, projects and each project's raw score (see the module).

    Raises
    ------
    InputError
        The file is missing, not UTF-8, or malformed; the message names the line and section.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; give the path of a Pabulib .pb file")
    try:
        text = decode(path.read_bytes(), path.name, legacy=False)  # UTF-8, or UTF-16/32 with a mark
        return _parse(path, io.StringIO(text, newline=""))
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}; check the file and its permissions") from None
    except csv.Error as exc:
        raise InputError(f"{path.name}: unreadable line ({exc}); check the quoting of its fields") from None


def _parse(path: Path, fh: TextIO) -> PabulibFile:
    reader = csv.reader(fh, delimiter=";")
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    projects: dict[str, PabulibProject] = {}
    seen: set[str] = set()
    section = ""
    counts: dict[str, Score] | None = None
    n_voters = 0
    points_cast: Score = 0
    vote_type = ""

    def take_header(name: str) -> list[str]:
        line = reader.line_num
        try:
            head = next(reader)
        except StopIteration:
            raise _error(path, line, name.upper(), "the section has no header line", "add the header line") from None
        return [h.strip() for h in head]

    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        marker = _section_of(row)
        if marker is not None:
            if marker in seen:
                raise _error(path, reader.line_num, marker.upper(), "the section appears twice", "keep one")
            seen.add(marker)
            section = marker
            header = take_header(marker)
            if section == "projects":
                _check_projects_header(path, reader.line_num, header)
            elif section == "votes":
                vote_type = _vote_type(path, meta, meta_lines, reader.line_num)
                if "projects" not in seen:
                    raise _error(path, reader.line_num, "VOTES", "VOTES comes before PROJECTS", "put PROJECTS first")
                # streams the rest of the file (VOTES is the last section)
                counts, n_voters, points_cast = _read_votes(path, reader, header, vote_type, projects)
            continue
        line = reader.line_num
        if section == "meta":
            if len(row) < 2:
                raise _error(path, line, "META", f"line {row[0]!r} has no value", "write 'key;value'", value=row[0])
            key = row[0].strip()
            meta[key] = row[1].strip()
            meta_lines[key] = line
        elif section == "projects":
            p = _project(path, line, header, row)
            if p.id in projects:
                raise _error(
                    path, line, "PROJECTS", f"project id {p.id!r} appears twice (first on line {projects[p.id].line})",
                    "give each project a unique id", value=p.id,
                )
            projects[p.id] = p
        else:
            raise _error(
                path, line, "", f"line {';'.join(row)[:60]!r} comes before any section",
                "a .pb file starts with a line 'META'",
            )
    for name in _SECTIONS:
        if name not in seen:
            raise _error(
                path, 0, name.upper(), f"the file has no {name.upper()} section",
                f"add a line '{name.upper()}' and its header",
            )
    assert counts is not None
    budget = _budget(path, meta, meta_lines)
    unit = lcm(*(p.cost.denominator for p in projects.values())) if projects else 1
    return PabulibFile(
        path=path,
        meta=meta,
        vote_type=vote_type,
        budget=budget,
        projects=tuple(projects.values()),
        scores={pid: counts.get(pid, 0) for pid in projects},
        n_voters=n_voters,
        points_cast=points_cast,
        money_unit=unit,
        meta_lines=meta_lines,
    )


def _check_projects_header(path: Path, line: int, header: list[str]) -> None:
    if not header or header[0] != "project_id":
        raise _error(
            path, line, "PROJECTS", f"the header starts with {header[0] if header else ''!r}, not 'project_id'",
            "make 'project_id' the first column",
        )
    if "cost" not in header:
        raise _error(
            path, line, "PROJECTS", f"the header {';'.join(header)!r} has no 'cost' column",
            "add the cost of each project",
        )


def _project(path: Path, line: int, header: list[str], row: list[str]) -> PabulibProject:
    if len(row) > len(header) and any(f.strip() for f in row[len(header):]):
        raise _error(
            path, line, "PROJECTS", f"{len(row)} fields for {len(header)} columns",
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
            path, line, "PROJECTS", f"project {pid!r}: cost {text!r} {why}",
            f"give the cost in currency units with at most {_MAX_DECIMALS} decimals", value=text,
        )
    cost = _number(text)
    if cost is None:
        raise _error(
            path, line, "PROJECTS", f"project {pid!r}: cost {text!r} is not a number",
            "give the cost as a number of currency units (1234 or 1234.50)", value=text,
        )
    if cost <= 0:
        raise _error(
            path, line, "PROJECTS", f"project {pid!r}: cost {text} must be greater than 0",
            "correct the cost, or remove the project", value=text,
        )
    name = values.pop("name", "")
    category = values.pop("category", "") or values.pop("categories", "")
    fields = {k: v for k, v in values.items() if v and v.lower() != "none"}
    return PabulibProject(id=pid, cost=cost, cost_text=text, name=name, category=category, fields=fields, line=line)


def _vote_type(path: Path, meta: dict[str, str], lines: dict[str, int], line: int) -> str:
    vt = meta.get("vote_type", "").strip().lower()
    if not vt:
        raise _error(
            path, line, "META", "META has no vote_type (needed to read the VOTES)",
            "add a line 'vote_type;approval' (or choose-1, ordinal, cumulative, scoring)",
        )
    if vt not in APPROVAL_TYPES | POINTS_TYPES:
        raise _error(
            path, lines.get("vote_type", line), "META", f"unknown vote_type {vt!r}",
            "use approval, choose-1, ordinal, cumulative or scoring", value=vt,
        )
    return vt


def _budget(path: Path, meta: dict[str, str], lines: dict[str, int]) -> Fraction:
    if "budget" not in meta:
        raise _error(path, 0, "META", "META has no budget", "add a line 'budget;<amount>'")
    why = _money_problem(meta["budget"], decimals=30)
    if why:
        raise _error(
            path, lines["budget"], "META", f"budget {meta['budget']!r} {why}",
            "give the budget in currency units", value=meta["budget"],
        )
    b = _number(meta["budget"])
    if b is None or b <= 0:
        raise _error(
            path, lines["budget"], "META", f"budget {meta['budget']!r} is not a positive number",
            "give the budget as a number of currency units", value=meta["budget"],
        )
    return b


def _points(text: str) -> Score | None:
    try:
        return int(text)
    except ValueError:
        return _number(text)


def _read_votes(
    path: Path, reader: Any, header: list[str], vote_type: str, projects: dict[str, PabulibProject]
) -> tuple[dict[str, Score], int, Score]:
    """Stream the VOTES section: per-project score, number of ballots, positive points cast."""
    rd = reader  # a csv reader: iteration and .line_num
    start = rd.line_num
    if "vote" not in header:
        raise _error(path, start, "VOTES", f"the header {';'.join(header)!r} has no 'vote' column", "add it (voter_id;vote)")
    vi = header.index("vote")
    with_points = vote_type in POINTS_TYPES
    if with_points and "points" not in header:
        raise _error(
            path, start, "VOTES", f"{vote_type} ballots need a 'points' column; the header is {';'.join(header)!r}",
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
            if _section_of(row) is not None:
                raise _error(path, line, row[0].strip().upper(), "a section after VOTES", "VOTES must be the last section")
            raise _error(
                path, line, "VOTES", f"{len(row)} fields, but the 'vote' column is field {vi + 1}",
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
                path, rd.line_num, "VOTES",
                f"ballot names {len(toks)} projects but gives {len(pts)} points ({pts_text!r})",
                "give one point value per project, in the same order", value=pts_text,
            )
        ballot: dict[str, Score] = {}
        for t, q in zip(toks, pts, strict=True):
            val = _points(q.strip())
            if val is None:
                raise _error(
                    path, rd.line_num, "VOTES", f"points {q!r} for project {t!r} is not a number",
                    "give points as numbers", value=q,
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
            path, _first_line_naming(path, vi, bad), "VOTES", f"a ballot names project {bad!r}, which PROJECTS does not list",
            "add the project to PROJECTS or correct the ballot", value=bad,
        )
    return scores, n, cast


def _first_line_naming(path: Path, vi: int, token: str) -> int:
    """Line of the first ballot naming ``token`` (error path only: re-reads the file)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        in_votes = False
        for row in reader:
            if _section_of(row) == "votes":
                in_votes = True
                next(reader, None)
                continue
            if in_votes and len(row) > vi and token in (t.strip() for t in row[vi].split(",")):
                return reader.line_num
    return 0


def pabulib_scores(path: str | os.PathLike[str]) -> dict[str, Score]:
    """Raw score per project id, in file order: approvals, or the sum of points.

    See :func:`parse_pabulib` for the full parse (META, costs, number of ballots).
    """
    return dict(parse_pabulib(path).scores)


def read_pabulib(path: str | os.PathLike[str]) -> Problem:
    """Read a Pabulib ``.pb`` file into a :class:`~allocator.model.problem.Problem`.

    One criterion, ``votes`` (weight 1, scale 0 to the largest possible score); the
    budget as frame; each project an application (id: its project_id; title: its name;
    requested: its cost; the raw score in ``attributes["votes"]``, the other PROJECTS
    columns as ``attributes["pb_<column>"]``). The META fields are in
    :attr:`PabulibFile.meta` (from :func:`parse_pabulib`); ``Problem.name`` is built from
    them (``"Poland Kraków Nowa Huta 2023"``) and ``Problem.currency`` is META's currency.
    See the module documentation for scores, money and errors.

    Examples
    --------
    The total raw score of a solution::

        problem = read_pabulib("Poland_Gdansk_2020.pb")
        solution = allocator.solve(problem)
        votes = {a.id: a.attributes["votes"] for a in problem.applications}
        total = sum(votes[i] for i in solution.funded_ids)
    """
    return parse_pabulib(path).to_problem()
