"""The Summary: one page, the key figures first, then the categories against their caps,
the rules at their limit, the criteria and weights, and the technical details apart.

When no portfolio exists (the rules conflict) it says so and gives the diagnosis.
"""

from __future__ import annotations

from typing import Any

from allocator.report.context import Report
from allocator.report.layout import line_height, lines_of, write_cell
from allocator.words import (
    criterion_name,
    money,
    percent,
    rule_name,
    status_text,
    tie_break_text,
)

__all__ = ["summary_sheet"]

_BINDING_SHOWN = 8


def _category_rows(rep: Report) -> list[list[Any]]:
    d = rep.data
    cats: dict[str, list[Any]] = {}
    for x in d.solution.decisions:
        key = x.category or rep.term("uncategorised")
        row = cats.setdefault(key, [key, 0, 0, 0, 0, None])
        row[1] += 1
        row[2] += 1 if x.funded else 0
        row[3] += x.requested
        row[4] += x.granted
    caps: dict[str, float] = {}
    for u in d.usage:
        if u.unit == "kr" and u.bound == "max" and u.part in cats and u.kind == "group":
            caps[u.part] = min(caps.get(u.part, u.limit), u.limit)
    for key, row in cats.items():
        row[5] = caps.get(key)
    return [cats[k] for k in sorted(cats)]


def _pairs(ws: Any, rep: Report, r: int, rows: list[tuple[str, Any, str]]) -> int:
    f = rep.formats
    for label, value, kind in rows:
        ws.write_string(r, 0, label, f.label)
        if kind == "wrap" and isinstance(value, str) and len(value) > 24:
            ws.merge_range(r, 1, r, 5, value, f.get(kind))
            ws.set_row(r, line_height(lines_of(value, 84)))
        else:
            write_cell(ws, r, 1, value, f.get(kind))
        r += 1
    return r


def _section(ws: Any, rep: Report, r: int, key: str) -> int:
    ws.write_string(r + 1, 0, rep.term(key), rep.formats.section)
    return r + 2


def _key_figures(ws: Any, rep: Report, r: int) -> int:
    d, s = rep.data, rep.data.solution
    partly = sum(1 for x in s.decisions if 0 < x.granted < x.requested)
    rows: list[tuple[str, Any, str]] = [
        (rep.term("frame"), s.frame, "money"),
        (rep.term("granted_total"), s.total_granted, "money"),
        (rep.term("left"), s.frame_left, "money"),
        (rep.term("requested_total"), sum(x.requested for x in s.decisions), "money"),
        (rep.term("applications"), len(s.decisions), "int"),
        (rep.term("funded_count"), s.n_funded, "int"),
        (rep.term("partly_count"), partly, "int"),
        (rep.term("not_funded_count"), len(s.decisions) - s.n_funded, "int"),
    ]
    c = d.comparison
    if c is not None:
        rows.append(
            (
                rep.term("gain"),
                None if c.improvement_pct is None else c.improvement_pct / 100,
                "pct_signed",
            )
        )
    if d.register is not None and d.register.threshold is not None:
        rows.append((rep.term("state_aid_count"), len(d.register.flagged), "int"))
    return _pairs(ws, rep, r, rows)


def _categories(ws: Any, rep: Report, r: int) -> int:
    f = rep.formats
    heads = ["category", "n_applications", "n_funded", "requested", "granted", "limit"]
    for c, key in enumerate(heads):
        ws.write_string(r, c, rep.term(key), f.header)
    kinds = ["text", "int", "int", "money", "money", "money"]
    for row in _category_rows(rep):
        r += 1
        for c, (v, k) in enumerate(zip(row, kinds, strict=True)):
            write_cell(ws, r, c, v, f.get(k))
    return r + 1


def _binding(ws: Any, rep: Report, r: int) -> int:
    d, f = rep.data, rep.formats
    at = [u for u in d.usage if u.at_limit]
    if not at:
        ws.write_string(r, 0, rep.term("no_binding_rules"), f.note)
        return r + 1
    for c, key in enumerate(("rule", "used", "limit")):
        ws.write_string(r, c, rep.term(key), f.header)
    for u in at[:_BINDING_SHOWN]:
        r += 1
        name = rule_name(u.ref, d.problem, rep.lang)
        ws.write_string(r, 0, name, f.get("wrap"))
        ws.set_row(r, line_height(lines_of(name, 46)))
        kind = "money" if u.unit == "kr" else "int"
        write_cell(ws, r, 1, u.used, f.get(kind))
        write_cell(ws, r, 2, u.limit, f.get(kind))
    if len(at) > _BINDING_SHOWN:
        r += 1
        ws.write_string(
            r,
            0,
            rep.term(
                "more_in_sheet",
                n=len(at) - _BINDING_SHOWN,
                sheet=rep.term("sheet.rules"),
            ),
            f.note,
        )
    return r + 1


def _comparison(ws: Any, rep: Report, r: int) -> int:
    d = rep.data
    c = d.comparison
    assert c is not None
    rows: list[tuple[str, Any, str]] = [
        (rep.term("value_optimal"), c.optimal_value, "score"),
        (rep.term("value_rank_and_fund"), c.baseline_value, "score"),
        (rep.term("granted_optimal"), c.optimal_granted, "money"),
        (rep.term("granted_rank_and_fund"), c.baseline_granted, "money"),
        (rep.term("only_optimal"), ", ".join(c.only_optimal) or "-", "wrap"),
        (rep.term("only_rank_and_fund"), ", ".join(c.only_baseline) or "-", "wrap"),
        (rep.term("other_amount"), ", ".join(c.different_amount) or "-", "wrap"),
    ]
    if d.broken:
        rows.append(
            (
                rep.term("rank_and_fund_breaks"),
                "; ".join(rule_name(b, d.problem, rep.lang) for b in d.broken),
                "wrap",
            )
        )
    return _pairs(ws, rep, r, rows)


def _criteria(ws: Any, rep: Report, r: int) -> int:
    d, f = rep.data, rep.formats
    p = d.problem
    assert p is not None
    total = sum(c.weight for c in p.criteria)
    for c, key in enumerate(("criterion", "weight", "scale", "threshold")):
        ws.write_string(r, c, rep.term(key), f.header)
    for crit in p.criteria:
        r += 1
        ws.write_string(r, 0, criterion_name(crit, rep.lang), f.get("text"))
        write_cell(ws, r, 1, crit.weight / total if total else None, f.get("pct"))
        ws.write_string(
            r,
            2,
            f"{crit.scale_min:g}-{crit.scale_max:g}".replace(".", "," if rep.lang == "nb" else "."),
            f.get("text"),
        )
        write_cell(ws, r, 3, crit.threshold, f.get("points"))
    return r + 1


def _technical(ws: Any, rep: Report, r: int) -> int:
    d, s, lang = rep.data, rep.data.solution, rep.lang
    gap = "-" if s.gap is None else percent(100 * s.gap, lang, 3)
    rows: list[tuple[str, Any, str]] = [
        (rep.term("status"), status_text(s.status, lang), "text"),
        (rep.term("gap"), gap, "text"),
        (rep.term("solver"), f"{s.solver} {s.solver_version}".strip(), "text"),
        (
            rep.term("runtime"),
            rep.term(
                "seconds",
                s=f"{s.runtime_s:.2f}".replace(".", "," if lang == "nb" else "."),
            ),
            "text",
        ),
        (rep.term("solves"), s.solves, "int"),
        (rep.term("tie_break"), tie_break_text(s.tie_break, lang, d.problem), "wrap"),
    ]
    p = d.problem
    if p is not None:
        o = p.options
        funding = (
            rep.term("funding.partial", step=money(o.step, s.currency, lang))
            if o.partial
            else rep.term("funding.binary")
        )
        rows += [
            (rep.term("funding"), funding, "wrap"),
            (
                rep.term("normalisation"),
                rep.term(f"normalisation.{o.normalisation}"),
                "wrap",
            ),
        ]
        if o.min_total_score is not None:
            rows.append((rep.term("total_threshold"), o.min_total_score, "score"))
    return _pairs(ws, rep, r, rows)


def _notes(ws: Any, rep: Report, r: int) -> int:
    d = rep.data
    notes = list(d.notes)
    reg = d.register
    if d.has_solution and reg is not None and reg.threshold is None:
        notes.append(
            "Kurs EUR/NOK er ikke oppgitt: tilskudd som skal meldes til Registeret for offentlig støtte, er ikke merket "
            "(oppgi eur_nok eller --eur-nok)."
            if rep.lang == "nb"
            else "No EUR/NOK rate was given: grants to report to the state-aid register are not marked (give eur_nok or --eur-nok)."
        )
    if not notes:
        return r
    r = _section(ws, rep, r, "notes")
    for n in notes:
        ws.merge_range(r, 0, r, 5, n, rep.formats.note)
        ws.set_row(r, 30)
        r += 1
    return r


def _diagnosis(ws: Any, rep: Report, r: int) -> int:
    dg = rep.data.solution.diagnosis
    r = _section(ws, rep, r, "diagnosis")
    text = getattr(dg, "summary", "") or rep.data.solution.message
    if rep.lang == "nb" and dg is not None:
        names = [rule_name(c, rep.data.problem, "nb") for c in getattr(dg, "conflicting", ())]
        text = (
            "Disse reglene kan ikke oppfylles samtidig: " + "; ".join(f"«{n}»" for n in names) + ". Se arket Diagnose."
        )
    ws.merge_range(r, 0, r + 2, 5, text, rep.formats.note)
    return r + 3


def summary_sheet(rep: Report) -> None:
    """Write the Summary (one page)."""
    d, f = rep.data, rep.formats
    ws = rep.add_sheet(rep.term("sheet.summary"), header_rows=None, id_columns=0, one_page=True)
    ws.write_string(0, 0, d.call, f.title)
    ws.write_string(1, 0, f"{rep.term('date')}: {d.date}", f.subtitle)
    r = 2
    if d.has_solution:
        r = _section(ws, rep, r, "key_figures")
        r = _key_figures(ws, rep, r)
        r = _section(ws, rep, r, "by_category")
        r = _categories(ws, rep, r)
        if d.problem is not None and d.problem.rules:
            r = _section(ws, rep, r, "binding_rules")
            r = _binding(ws, rep, r)
        if d.comparison is not None:
            r = _section(ws, rep, r, "comparison")
            r = _comparison(ws, rep, r)
    else:
        r = _section(ws, rep, r, "key_figures")
        r = _pairs(
            ws,
            rep,
            r,
            [
                (rep.term("status"), status_text(d.solution.status, rep.lang), "wrap"),
                (rep.term("frame"), d.solution.frame, "money"),
            ],
        )
        if d.solution.diagnosis is not None or d.solution.message:
            r = _diagnosis(ws, rep, r)
    if d.problem is not None:
        r = _section(ws, rep, r, "criteria")
        r = _criteria(ws, rep, r)
    r = _notes(ws, rep, r)
    r = _section(ws, rep, r, "technical")
    _technical(ws, rep, r)
    ws.set_column(0, 0, 46)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 5, 15)
