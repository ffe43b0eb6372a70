"""Native Excel charts (xlsxwriter): the value of the frame beside ranking by score, and
what each category was granted against what it asked for.

The chart data are written on the same sheet, to the left of the charts, so that the
adviser can read the numbers and Excel redraws the charts if they are changed.
"""

from __future__ import annotations

from typing import Any

from allocator.report.context import Report
from allocator.report.layout import write_cell

__all__ = ["charts_sheet"]


def _frame_curve(rep: Report, ws: Any, name: str) -> int:
    """The frame curve's data from row 0, columns A-C, and its chart at E1; rows used."""
    d, f = rep.data, rep.formats
    curve = d.frame_curve
    if curve is None or not len(curve) or "frame" not in curve.columns or "value" not in curve.columns:
        return 0
    has_base = "rank_and_fund" in curve.columns
    heads = [
        rep.term("chart.frame"),
        rep.term("chart.optimal"),
        *([rep.term("chart.rank_and_fund")] if has_base else []),
    ]
    for c, h in enumerate(heads):
        ws.write_string(0, c, h, f.header)
    for r, row in enumerate(curve.itertuples(index=False), start=1):
        write_cell(ws, r, 0, int(row.frame), f.get("money"))
        write_cell(ws, r, 1, float(row.value), f.get("score"))
        if has_base:
            write_cell(ws, r, 2, float(row.rank_and_fund), f.get("score"))
    n = len(curve)
    chart = rep.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    chart.add_series(
        {
            "name": [name, 0, 1],
            "categories": [name, 1, 0, n, 0],
            "values": [name, 1, 1, n, 1],
            "marker": {"type": "circle", "size": 4},
        }
    )
    if has_base:
        chart.add_series(
            {
                "name": [name, 0, 2],
                "categories": [name, 1, 0, n, 0],
                "values": [name, 1, 2, n, 2],
                "marker": {"type": "square", "size": 4},
                "line": {"dash_type": "dash"},
            }
        )
    top = float(curve["value"].max())
    # the call's own frame as a vertical line (two points of a third series)
    r0 = n + 2
    ws.write_string(r0, 0, rep.term("chart.this_frame"), f.label)
    write_cell(ws, r0 + 1, 0, d.solution.frame, f.get("money"))
    write_cell(ws, r0 + 1, 1, 0.0, f.get("score"))
    write_cell(ws, r0 + 2, 0, d.solution.frame, f.get("money"))
    write_cell(ws, r0 + 2, 1, top, f.get("score"))
    chart.add_series(
        {
            "name": [name, r0, 0],
            "categories": [name, r0 + 1, 0, r0 + 2, 0],
            "values": [name, r0 + 1, 1, r0 + 2, 1],
            "marker": {"type": "none"},
            "line": {"color": "#808080", "dash_type": "round_dot"},
        }
    )
    chart.set_title({"name": rep.term("chart.frame_curve")})
    chart.set_x_axis(
        {
            "name": rep.term("chart.frame"),
            "num_format": f.num["money"],
            "major_gridlines": {"visible": False},
        }
    )
    chart.set_y_axis({"name": rep.term("chart.value")})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(0, 4, chart, {"x_scale": 1.4, "y_scale": 1.2})
    return max(r0 + 3, 20)


def _categories(rep: Report, ws: Any, name: str, top: int) -> None:
    """Requested and granted per category from row ``top``, and a column chart beside them."""
    d, f = rep.data, rep.formats
    cats: dict[str, list[int]] = {}
    for x in d.solution.decisions:
        key = x.category or rep.term("uncategorised")
        row = cats.setdefault(key, [0, 0])
        row[0] += x.requested
        row[1] += x.granted
    if not cats:
        return
    for c, h in enumerate((rep.term("category"), rep.term("requested"), rep.term("granted"))):
        ws.write_string(top, c, h, f.header)
    keys = sorted(cats)
    for r, k in enumerate(keys, start=top + 1):
        ws.write_string(r, 0, k, f.get("text"))
        write_cell(ws, r, 1, cats[k][0], f.get("money"))
        write_cell(ws, r, 2, cats[k][1], f.get("money"))
    last = top + len(keys)
    chart = rep.wb.add_chart({"type": "column"})
    for c, color in ((1, "#A6A6A6"), (2, "#548235")):
        chart.add_series(
            {
                "name": [name, top, c],
                "categories": [name, top + 1, 0, last, 0],
                "values": [name, top + 1, c, last, c],
                "fill": {"color": color},
            }
        )
    chart.set_title({"name": rep.term("chart.by_category")})
    chart.set_y_axis({"num_format": f.num["money"]})
    chart.set_legend({"position": "bottom"})
    ws.insert_chart(top, 4, chart, {"x_scale": 1.4, "y_scale": 1.2})


def charts_sheet(rep: Report) -> None:
    """Write the Charts sheet: the frame curve (when given) and granted vs requested per category."""
    if not rep.data.has_solution:
        return
    name = rep.term("sheet.charts")
    ws = rep.add_sheet(name, header_rows=None, id_columns=0)
    used = _frame_curve(rep, ws, name)
    _categories(rep, ws, name, used + 1 if used else 0)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 2, 24)
