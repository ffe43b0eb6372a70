"""The decisions, for people: the meeting's working paper and the decision table.

``Saksliste med vurdering`` / ``Agenda with assessment``
    Every application in rank order, as the working paper of the decision meeting:
    rank, id, applicant, title, requested, proposed grant, score and its spread (when the
    scores aggregate several reviewers), the proposed decision ("Tilskudd på 300 000 kr" /
    "Avslag") and the reason in words.
``Tildelinger`` / ``Decisions``
    Funded first, each group by score: id, title, the grant and the reason beside the title,
    then applicant, category, request, score in the call's points, rank and the state-aid
    register flag; a totals row against the frame and a legend for the colours.
"""

from __future__ import annotations

from typing import Any

from allocator.model.solution import Decision
from allocator.report.context import Report
from allocator.report.layout import (
    FUNDED_FILL,
    INELIGIBLE_FILL,
    PARTLY_FILL,
    STATE_AID_FILL,
    Col,
    write_cell,
    write_table,
)
from allocator.words import decision_phrase, number

__all__ = ["decisions_sheet", "legend", "meeting_sheet", "row_fill"]


def row_fill(d: Decision) -> str | None:
    """The colour of a decision's row."""
    if d.funded:
        return FUNDED_FILL if d.granted == d.requested else PARTLY_FILL
    return None if d.eligible else INELIGIBLE_FILL


def legend(ws: Any, rep: Report, r: int, entries: list[tuple[str, str]]) -> int:
    """A colour legend from row ``r``: (fill, term key) per line."""
    f = rep.formats
    ws.write_string(r, 0, rep.term("legend"), f.label)
    for fill, key in entries:
        r += 1
        ws.write_string(r, 0, "", f.get("text", fill))
        ws.write_string(r, 1, rep.term(key), f.get("text"))
    return r + 1


def _spread_text(rep: Report, d: Decision) -> str:
    lo_hi = rep.data.spread.get(d.id)
    if lo_hi is None:
        return ""
    lo, hi = (number(v, rep.lang, 2) for v in lo_hi)
    return f"{lo} – {hi}"


def _totals(ws: Any, rep: Report, r: int, label_col: int, cols: dict[int, Any]) -> int:
    f = rep.formats
    ws.write_string(r, label_col, rep.term("total"), f.get("text", bold=True))
    for c, v in cols.items():
        write_cell(ws, r, c, v, f.get("money", bold=True))
    return r + 1


def meeting_sheet(rep: Report) -> None:
    """Write the meeting's working paper ("Saksliste med vurdering")."""
    d = rep.data
    ws = rep.add_sheet(rep.term("sheet.meeting"), header_rows=(2, 2), id_columns=2)
    f = rep.formats
    ws.write_string(0, 0, f"{rep.term('sheet.meeting')}: {d.call}", f.title)
    ws.write_string(1, 0, f"{rep.term('date')}: {d.date}", f.subtitle)
    has_spread = bool(d.spread)
    cols = [
        Col(rep.term("rank"), "int", 10),
        Col(rep.term("id"), "text", 12),
        Col(rep.term("applicant"), "wrap", 24),
        Col(rep.term("title"), "wrap", 34),
        Col(rep.term("requested"), "money", 13),
        Col(rep.term("proposed_grant"), "money", 13),
        Col(d.points_header(), "points", 9),
        *([Col(rep.term("spread"), "center", 13)] if has_spread else []),
        Col(rep.term("decision"), "wrap", 22),
        Col(rep.term("grounds"), "wrap", 60),
    ]
    rows, fills = [], []
    for x in d.by_rank():
        rows.append(
            [
                x.rank,
                x.id,
                x.applicant,
                x.title,
                x.requested,
                x.granted,
                d.points(x),
                *([_spread_text(rep, x)] if has_spread else []),
                decision_phrase(x, rep.lang, d.currency),
                d.grounds.get(x.id, ""),
            ]
        )
        fills.append(row_fill(x))
    end = write_table(ws, f, cols, rows, fills, top=2, freeze_columns=2)
    s = d.solution
    r = _totals(ws, rep, end, 3, {4: sum(x.requested for x in s.decisions), 5: s.total_granted})
    ws.write_string(r, 3, rep.term("frame"), f.label)
    write_cell(ws, r, 5, s.frame, f.get("money"))
    legend(
        ws,
        rep,
        r + 2,
        [
            (FUNDED_FILL, "legend.funded"),
            (PARTLY_FILL, "legend.partly"),
            (INELIGIBLE_FILL, "legend.ineligible"),
        ],
    )


def decisions_sheet(rep: Report) -> None:
    """Write the decision table, funded first by score, with totals and a legend."""
    d = rep.data
    ws = rep.add_sheet(rep.term("sheet.decisions"), header_rows=(0, 0), id_columns=2)
    f = rep.formats
    reg = d.register
    flag = reg is not None and reg.threshold is not None
    cols = [
        Col(rep.term("id"), "text", 12),
        Col(rep.term("title"), "wrap", 34),
        Col(rep.term("granted"), "money", 13),
        Col(rep.term("grounds"), "wrap", 60),
        Col(rep.term("applicant"), "wrap", 24),
        Col(rep.term("category"), "wrap", 18),
        Col(rep.term("requested"), "money", 13),
        Col(d.points_header(), "points", 9),
        Col(rep.term("rank"), "int", 10),
        *([Col(rep.term("state_aid"), "text", 14)] if flag else []),
    ]
    rows, fills = [], []
    for x in d.by_funding():
        flagged = flag and reg is not None and x.id in reg.flagged
        rows.append(
            [
                x.id,
                x.title,
                x.granted,
                d.grounds.get(x.id, ""),
                x.applicant,
                x.category,
                x.requested,
                d.points(x),
                x.rank,
                *([rep.term("yes") if flagged else ""] if flag else []),
            ]
        )
        fills.append(row_fill(x))
    end = write_table(ws, f, cols, rows, fills, freeze_columns=2)
    if flag and reg is not None:
        c = len(cols) - 1
        for r, x in enumerate(d.by_funding(), start=1):
            if x.id in reg.flagged:
                write_cell(ws, r, c, rep.term("yes"), f.get("text", STATE_AID_FILL))
    s = d.solution
    r = _totals(ws, rep, end, 1, {2: s.total_granted, 6: sum(x.requested for x in s.decisions)})
    ws.write_string(r, 1, rep.term("frame"), f.label)
    write_cell(ws, r, 2, s.frame, f.get("money"))
    ws.write_string(r + 1, 1, rep.term("left"), f.label)
    write_cell(ws, r + 1, 2, s.frame_left, f.get("money"))
    entries = [
        (FUNDED_FILL, "legend.funded"),
        (PARTLY_FILL, "legend.partly"),
        (INELIGIBLE_FILL, "legend.ineligible"),
    ]
    if flag:
        entries.append((STATE_AID_FILL, "legend.state_aid"))
    legend(ws, rep, r + 3, entries)
