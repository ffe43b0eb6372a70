"""Why each decision, in words (Explanations), and the numbers behind it (Analysis).

The Explanations sheet is for people: the outcome and one sentence per application. The
Analysis sheet is for those who want the figures: exact weighted scores and values, the
raw criterion scores and the reviewers' spread, and the margins of the explanations (how
far a score may move, the largest request still funded).
"""

from __future__ import annotations

import math
from typing import Any

from allocator.report.context import Report
from allocator.report.layout import Col, write_table
from allocator.words import criterion_name, reason_text, rule_name, term

__all__ = ["analysis_sheet", "explanations_sheet"]


def explanations_sheet(rep: Report) -> None:
    """Write one sentence per application (only when explanations were given)."""
    d = rep.data
    if not d.explanations:
        return
    ws = rep.add_sheet(rep.term("sheet.explanations"), header_rows=(0, 0), id_columns=2)
    cols = [
        Col(rep.term("id"), "text", 12),
        Col(rep.term("title"), "wrap", 34),
        Col(rep.term("outcome"), "wrap", 22),
        Col(rep.term("granted"), "money", 13),
        Col(rep.term("explanation"), "wrap", 80),
    ]
    rows = []
    for x in d.by_funding():
        e = d.explanations.get(x.id, {})
        rows.append(
            [
                x.id,
                x.title,
                reason_text(x.reason, rep.lang),
                x.granted,
                e.get("sentence", ""),
            ]
        )
    write_table(ws, rep.formats, cols, rows, freeze_columns=2)


def _num(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def analysis_sheet(rep: Report) -> None:
    """Write the analysis columns: exact scores, raw scores, spreads, margins."""
    d = rep.data
    p = d.problem
    ws = rep.add_sheet(rep.term("sheet.analysis"), header_rows=(0, 0), id_columns=1)
    crits = list(p.criteria) if p is not None else []
    apps = {a.id: a for a in p.applications} if p is not None else {}
    spread = any(a.spread for a in apps.values())
    lang = rep.lang
    cols = [
        Col(rep.term("id"), "text", 12),
        Col(rep.term("score_exact"), "exact", 14),
        Col(rep.term("value_exact"), "exact", 14),
        Col(rep.term("rank"), "int", 10),
        *(Col(criterion_name(c, lang), "points", 12) for c in crits),
    ]
    if spread:
        for c in crits:
            cols += [
                Col(f"{criterion_name(c, lang)}: {term('lowest', lang)}", "points", 12),
                Col(f"{criterion_name(c, lang)}: {term('highest', lang)}", "points", 12),
            ]
    if d.explanations:
        cols += [
            Col(rep.term("margin_up"), "exact", 14),
            Col(rep.term("margin_down"), "exact", 14),
            Col(rep.term("max_grant"), "money", 14),
            Col(rep.term("displaces"), "wrap", 20),
            Col(rep.term("also_funded"), "wrap", 20),
            Col(rep.term("replaced_by"), "wrap", 20),
            Col(rep.term("rules"), "wrap", 30),
        ]
    rows = []
    for x in d.by_rank():
        a = apps.get(x.id)
        row: list[Any] = [
            x.id,
            x.score,
            x.value,
            x.rank,
            *(a.scores[c.name] if a else None for c in crits),
        ]
        if spread:
            for c in crits:
                lo, hi = a.spread.get(c.name, (None, None)) if a else (None, None)
                row += [lo, hi]
        if d.explanations:
            e = d.explanations.get(x.id, {})
            down = _num(e.get("margin_down"))
            rules = "; ".join(rule_name(r, p, lang) for r in str(e.get("rules") or "").split("; ") if r)
            row += [
                _num(e.get("margin_up")),
                None if down == math.inf else down,
                _num(e.get("max_grant")),
                e.get("displaces", ""),
                e.get("also_funded", ""),
                e.get("replaced_by", ""),
                rules,
            ]
        rows.append(row)
    write_table(ws, rep.formats, cols, rows, freeze_columns=1)
