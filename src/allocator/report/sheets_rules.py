"""The call's rules against the grants (Rules), and why no portfolio exists (Diagnosis)."""

from __future__ import annotations

from allocator.report.context import Report
from allocator.report.layout import FUNDED_FILL, Col, write_table
from allocator.rules.usage import TOTAL_KINDS
from allocator.words import money, number, rule_name, rule_names

__all__ = ["diagnosis_sheet", "rules_sheet"]


def rules_sheet(rep: Report) -> None:
    """Every cap and floor against what the grants use; rules at their limit highlighted."""
    d = rep.data
    p = d.problem
    if p is None or not p.rules or not d.has_solution:
        return
    ws = rep.add_sheet(rep.term("sheet.rules"), header_rows=(0, 0), id_columns=1)
    cols = [
        Col(rep.term("rule"), "wrap", 48),
        Col(rep.term("part"), "wrap", 28),
        Col(rep.term("kind_of_limit"), "text", 10),
        Col(rep.term("used"), "text", 16),
        Col(rep.term("limit"), "text", 16),
        Col(rep.term("at_limit"), "text", 11),
    ]

    def amount(v: float, unit: str) -> str:
        return money(v, d.currency, rep.lang) if unit == "kr" else number(v, rep.lang, 0)

    rows, fills = [], []
    for u in d.usage:
        rows.append(
            [
                rule_name(u.label, p, rep.lang),
                u.part,
                rep.term(f"bound.{u.bound}"),
                amount(u.used, u.unit),
                amount(u.limit, u.unit),
                rep.term("yes") if u.at_limit else "",
            ]
        )
        fills.append(FUNDED_FILL if u.at_limit else None)
    end = write_table(ws, rep.formats, cols, rows, fills, freeze_columns=1)
    names = rule_names(p.rules, rep.lang, p.currency)
    others = [n for n, r in zip(names, p.rules, strict=True) if r.kind not in TOTAL_KINDS]
    if others:
        ws.write_string(end + 1, 0, rep.term("other_rules"), rep.formats.label)
        for k, n in enumerate(others):
            ws.write_string(end + 2 + k, 0, n, rep.formats.get("wrap"))


def diagnosis_sheet(rep: Report) -> None:
    """When no portfolio satisfies every rule: the conflicting rules and how far each must give way."""
    d = rep.data
    dg = d.solution.diagnosis
    if dg is None or d.has_solution:
        return
    ws = rep.add_sheet(rep.term("sheet.diagnosis"), header_rows=(0, 0), id_columns=1)
    en = rep.lang == "en"
    cols = [
        Col(rep.term("rule"), "wrap", 40),
        Col(rep.term("part"), "wrap", 24),
        Col(rep.term("gives_way"), "text", 18),
        Col(rep.term("resolves_all"), "text", 14),
        *([Col("Explanation", "wrap", 70)] if en else []),
    ]
    rows = []
    for v in getattr(dg, "violations", ()):
        amount = (
            money(v.violation, d.currency, rep.lang)
            if v.unit == "kr"
            else f"{number(v.violation, rep.lang, 0)} {rep.term('unit.applications')}"
        )
        rows.append(
            [
                rule_name(v.rule, d.problem, rep.lang),
                "; ".join(v.parts),
                amount,
                rep.term("yes") if v.resolves_all else rep.term("no"),
                *([v.message] if en else []),
            ]
        )
    write_table(ws, rep.formats, cols, rows, freeze_columns=1)
