"""The best portfolio beside ranking by score and funding down the list (rank and fund)."""

from __future__ import annotations

from allocator.report.context import Report
from allocator.report.layout import (
    DIFFERS_FILL,
    FUNDED_FILL,
    Col,
    write_cell,
    write_table,
)
from allocator.words import reason_text

__all__ = ["rank_and_fund_sheet"]


def rank_and_fund_sheet(rep: Report) -> None:
    """Write the comparison with rank and fund, in rank order, differences highlighted."""
    d = rep.data
    base = d.baseline
    if base is None:
        return
    other = {x.id: x for x in base.decisions}
    ws = rep.add_sheet(rep.term("sheet.rank_and_fund"), header_rows=(0, 0), id_columns=2)
    f = rep.formats
    cols = [
        Col(rep.term("id"), "text", 12),
        Col(rep.term("title"), "wrap", 34),
        Col(rep.term("rank"), "int", 10),
        Col(d.points_header(), "points", 9),
        Col(rep.term("requested"), "money", 13),
        Col(rep.term("granted_optimal"), "money", 14),
        Col(rep.term("granted_rank_and_fund"), "money", 14),
        Col(rep.term("difference"), "money", 13),
        Col(rep.term("outcome_optimal"), "wrap", 22),
        Col(rep.term("outcome_rank_and_fund"), "wrap", 22),
    ]
    rows, fills = [], []
    for x in d.by_rank():
        b = other.get(x.id)
        bg = b.granted if b is not None else 0
        rows.append(
            [
                x.id,
                x.title,
                x.rank,
                d.points(x),
                x.requested,
                x.granted,
                bg,
                x.granted - bg,
                reason_text(x.reason, rep.lang),
                reason_text(b.reason, rep.lang) if b is not None else "",
            ]
        )
        fills.append(DIFFERS_FILL if x.granted != bg else (FUNDED_FILL if x.funded else None))
    end = write_table(ws, f, cols, rows, fills, freeze_columns=2)
    s = d.solution
    ws.write_string(end, 1, rep.term("total"), f.get("text", bold=True))
    for c, v in (
        (4, sum(x.requested for x in s.decisions)),
        (5, s.total_granted),
        (6, base.total_granted),
        (7, s.total_granted - base.total_granted),
    ):
        write_cell(ws, end, c, v, f.get("money", bold=True))
    ws.write_string(end + 1, 1, rep.term("value"), f.label)
    write_cell(ws, end + 1, 5, s.objective or 0.0, f.get("score"))
    write_cell(ws, end + 1, 6, base.objective or 0.0, f.get("score"))
    ws.write_string(end + 2, 1, rep.term("frame"), f.label)
    write_cell(ws, end + 2, 5, s.frame, f.get("money"))
    r = end + 4
    ws.write_string(r, 0, rep.term("legend"), f.label)
    for fill, key in ((DIFFERS_FILL, "legend.differs"), (FUNDED_FILL, "legend.funded")):
        r += 1
        ws.write_string(r, 0, "", f.get("text", fill))
        ws.write_string(r, 1, rep.term(key), f.get("text"))
