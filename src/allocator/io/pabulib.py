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
from math import lcm
from pathlib import Path
from typing import TextIO

from allocator.exceptions import InputError
from allocator.io.pabulib_file import APPROVAL_TYPES, POINTS_TYPES, PabulibFile, PabulibProject, Score
from allocator.io.pabulib_file import pb_error as _error
from allocator.io.pabulib_lines import SECTIONS, budget, check_projects_header, project, read_votes, section_of
from allocator.io.pabulib_lines import vote_type as _vote_type
from allocator.model import Problem
from allocator.model.encoding import decode

__all__ = [
    "APPROVAL_TYPES",
    "POINTS_TYPES",
    "PabulibFile",
    "PabulibProject",
    "pabulib_scores",
    "parse_pabulib",
    "read_pabulib",
]


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
        raise InputError(
            f"cannot read {str(path)!r}: {exc.strerror or exc}; check the file and its permissions"
        ) from None
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
        marker = section_of(row)
        if marker is not None:
            if marker in seen:
                raise _error(path, reader.line_num, marker.upper(), "the section appears twice", "keep one")
            seen.add(marker)
            section = marker
            header = take_header(marker)
            if section == "projects":
                check_projects_header(path, reader.line_num, header)
            elif section == "votes":
                vote_type = _vote_type(path, meta, meta_lines, reader.line_num)
                if "projects" not in seen:
                    raise _error(path, reader.line_num, "VOTES", "VOTES comes before PROJECTS", "put PROJECTS first")
                # streams the rest of the file (VOTES is the last section)
                counts, n_voters, points_cast = read_votes(path, reader, header, vote_type, projects)
            continue
        line = reader.line_num
        if section == "meta":
            if len(row) < 2:
                raise _error(path, line, "META", f"line {row[0]!r} has no value", "write 'key;value'", value=row[0])
            key = row[0].strip()
            meta[key] = row[1].strip()
            meta_lines[key] = line
        elif section == "projects":
            p = project(path, line, header, row)
            if p.id in projects:
                raise _error(
                    path,
                    line,
                    "PROJECTS",
                    f"project id {p.id!r} appears twice (first on line {projects[p.id].line})",
                    "give each project a unique id",
                    value=p.id,
                )
            projects[p.id] = p
        else:
            raise _error(
                path,
                line,
                "",
                f"line {';'.join(row)[:60]!r} comes before any section",
                "a .pb file starts with a line 'META'",
            )
    for name in SECTIONS:
        if name not in seen:
            raise _error(
                path,
                0,
                name.upper(),
                f"the file has no {name.upper()} section",
                f"add a line '{name.upper()}' and its header",
            )
    assert counts is not None
    budget_ = budget(path, meta, meta_lines)
    unit = lcm(*(p.cost.denominator for p in projects.values())) if projects else 1
    return PabulibFile(
        path=path,
        meta=meta,
        vote_type=vote_type,
        budget=budget_,
        projects=tuple(projects.values()),
        scores={pid: counts.get(pid, 0) for pid in projects},
        n_voters=n_voters,
        points_cast=points_cast,
        money_unit=unit,
        meta_lines=meta_lines,
    )


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
