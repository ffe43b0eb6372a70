"""The robustness sheet of the adviser's workbook (English or Norwegian).

:func:`add_sheet` writes, on an open ``xlsxwriter`` workbook, one sheet: the uncertainty
in words, how the classes were computed, the draw (seed, input hash) when made, and one row
per application with its class, core index, acceptability and its standard error, inclusion
probability in the draw and lottery status, rows coloured by class. Text is written as
text, never as a formula. :func:`sheet_writer` adds it to the report
(``write_report(..., extra_sheets=[sheet_writer(r)])``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from allocator.robust.analysis import LABELS, Robustness

__all__ = ["SHEET", "add_sheet", "sheet_writer"]

SHEET = {"en": "Robustness", "nb": "Robusthet"}
"""The sheet's name per language."""

_FILL = {"core": "#E2EFDA", "borderline": "#FFF2CC", "exterior": "#EDEDED", "undecided": "#FCE4D6"}
_TEXT = {
    "en": {
        "title": "Robustness of the decision",
        "weights": "Weights",
        "scores": "Scores",
        "method": "Method",
        "draw": "Draw",
        "seed": "seed",
        "hash": "input hash",
        "any": "any shares summing to 1",
        "pm": "± {} on every score (within the scale)",
        "none": "as given",
        "given": "intervals for {} applications",
        "set": "{} non-dominated portfolios, listed ({})",
        "search": "classes decided without listing the portfolios ({})",
        "samples": "{} sampled weight and score draws",
        "no_draw": "not made",
        "drawn": "{} drawn: {}",
    },
    "nb": {
        "title": "Hvor robust vedtaket er",
        "weights": "Vekter",
        "scores": "Poeng",
        "method": "Metode",
        "draw": "Trekning",
        "seed": "frø",
        "hash": "inndata-hash",
        "any": "alle andeler som summerer til 1",
        "pm": "± {} på hver poengsum (innenfor skalaen)",
        "none": "som gitt",
        "given": "intervaller for {} søknader",
        "set": "{} ikke-dominerte porteføljer, listet ({})",
        "search": "klassene avgjort uten å liste porteføljene ({})",
        "samples": "{} trukne vekter og poengsummer",
        "no_draw": "ikke gjennomført",
        "drawn": "{} trukket ut: {}",
    },
}


def _plain(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def sheet_writer(robustness: Robustness, lang: Literal["en", "nb"] | None = None) -> Any:
    """A writer for ``write_report(..., extra_sheets=[sheet_writer(r)])``: adds the sheet in
    the workbook's language (or ``lang``)."""

    def writer(report: Any) -> None:
        add_sheet(report.wb, robustness, lang=lang or ("nb" if report.lang == "nb" else "en"))

    return writer


def add_sheet(wb: Any, robustness: Robustness, *, lang: Literal["en", "nb"] = "en", name: str | None = None) -> Any:
    """Add the robustness sheet to the ``xlsxwriter`` workbook ``wb``; returns the worksheet."""
    T, L = _TEXT[lang], LABELS[lang]
    ws = wb.add_worksheet(name or SHEET[lang])
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format(
        {"bold": True, "font_color": "white", "bg_color": "#1F4E78", "text_wrap": True, "valign": "top"}
    )
    rep = robustness.report()
    u = robustness.uncertainty
    w = u.weights
    parts = [
        p
        for p in (
            " >= ".join(w.order),
            *(f"{k} in [{a:g}, {b:g}]" for k, (a, b) in w.intervals.items()),
            *(c.text for c in w.constraints),
        )
        if p
    ]
    pm = u.scores.plus_minus
    stext = (
        T["pm"].format(pm if not isinstance(pm, dict) else ", ".join(f"{k} {v:g}" for k, v in pm.items()))
        if pm
        else T["none"]
    )
    if u.scores.intervals:
        stext += "; " + T["given"].format(len(u.scores.intervals))
    method = T["set"].format(rep.nondominated, rep.method) if rep.complete else T["search"].format(rep.method)
    if rep.samples:
        method += "; " + T["samples"].format(rep.samples)
    lines = [(T["weights"], "; ".join(parts) or T["any"]), (T["scores"], stext), (T["method"], method)]
    if rep.draw is not None:
        drawn = T["drawn"].format(len(rep.draw.drawn), ", ".join(rep.draw.drawn))
        lines.append((T["draw"], f"{T['seed']} '{rep.draw.seed}', {T['hash']} {rep.input_hash[:16]}…; {drawn}"))
    else:
        lines.append((T["draw"], T["no_draw"]))
    ws.write_string(0, 0, T["title"], title)
    for r, (k, v) in enumerate(lines, start=2):
        ws.write_string(r, 0, k, bold)
        ws.write_string(r, 1, v)
    top = len(lines) + 3
    df = robustness.to_frame(lang=lang)
    cols = list(df.columns)
    kinds = {
        L["requested"]: "money",
        L["core_index"]: "pct",
        L["acceptability"]: "pct",
        L["acceptability_se"]: "pct2",
        L["inclusion_probability"]: "pct",
        L["inclusion_se"]: "pct2",
    }
    fmts: dict[tuple[str, str], Any] = {}

    def fmt(kind: str, cls: str) -> Any:
        if (kind, cls) not in fmts:
            props: dict[str, Any] = {"bg_color": _FILL[cls], "valign": "top"}
            if kind == "money":
                props["num_format"] = '#,##0 "kr"' if robustness.problem.currency.upper() in ("NOK", "") else "#,##0"
            elif kind == "pct":
                props["num_format"] = "0.0%"
            elif kind == "pct2":
                props["num_format"] = "0.00%"
            fmts[(kind, cls)] = wb.add_format(props)
        return fmts[(kind, cls)]

    for c, h in enumerate(cols):
        ws.write_string(top, c, str(h), head)
    for r, (row, app) in enumerate(
        zip(df.itertuples(index=False, name=None), rep.applications, strict=True), start=top + 1
    ):
        for c, (h, value) in enumerate(zip(cols, row, strict=True)):
            f = fmt(kinds.get(h, "text"), app.robust_class)
            value = _plain(value)
            if value is None:
                ws.write_blank(r, c, None, f)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, c, value, f)
            else:
                ws.write_string(r, c, str(value), f)
    ws.autofilter(top, 0, top + len(df), len(cols) - 1)
    ws.freeze_panes(top + 1, 1)
    widths = {L["id"]: 14, L["title"]: 40, L["funded_at"]: 40, L["lottery"]: 22, L["class"]: 14}
    for c, h in enumerate(cols):
        ws.set_column(c, c, widths.get(h, 14))
    ws.set_column(0, 0, max(14, widths[L["id"]]))
    return ws
