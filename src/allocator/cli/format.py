"""What the command line prints, in English or Norwegian (``--lang``): the decision table,
the summary with the comparison, and the explanations.

Every word comes from :mod:`allocator.words`; long lists are cut ("... and 312 more", the
full list in the file written with ``--out``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from allocator.analysis.baseline import compare
from allocator.model.problem import Problem
from allocator.model.solution import Decision, Solution
from allocator.words import (
    cut_list,
    money,
    number,
    percent,
    point_scale,
    problem_notes,
    reason_text,
    rule_name,
    status_text,
    term,
    tie_break_text,
)

__all__ = ["ROWS_SHOWN", "format_decisions", "format_explanations", "format_summary"]

ROWS_SHOWN = 40
"""Rows of each group (funded, not funded) shown in the terminal; the rest are in the files."""

_LIST_SHOWN = 12


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _amount(a: int, lang: str) -> str:
    """Whole kroner without the unit (the header has it): ``2 300 000`` / ``2,300,000``."""
    return f"{a:,}".replace(",", " " if lang == "nb" else ",")


def _more(n: int, lang: str, where: str) -> str:
    text = f"... og {n} til" if lang == "nb" else f"... and {n} more"
    if where:
        text += f" ({'alle i' if lang == 'nb' else 'all in'} {where})"
    return text


def format_decisions(
    solution: Solution,
    lang: str = "en",
    *,
    problem: Problem | None = None,
    limit: int = ROWS_SHOWN,
    where: str = "",
) -> str:
    """The decision table: funded applications first, then the others, each by score (highest first).

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application, solve
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 9}),
    ...                   Application(id="B", requested=50, scores={"g": 6})])
    >>> table = format_decisions(solve(p))
    >>> [line.split()[:2] for line in table.splitlines()[1:]]
    [['--', 'funded'], ['A', '60'], ['--', 'not'], ['B', '50']]
    """
    scale = point_scale(problem) if problem is not None else None
    unit = "kr" if solution.currency.upper() == "NOK" and lang == "nb" else solution.currency
    points = term("points", lang, top=f"{scale.top:g}") if scale is not None else term("score", lang)
    heads = [
        (term("id", lang), 10),
        (term("title", lang), 34),
        (term("category", lang), 16),
        (f"{term('requested', lang)} ({unit})", 14),
        (f"{term('granted', lang)} ({unit})", 14),
        (points, 8),
        (term("rank", lang), 4),
        (term("outcome", lang), 16),
    ]
    widths = [
        max(
            min(max([len(d.id) for d in solution.decisions] + [2]), 16),
            len(heads[0][0]),
        )
    ] + [w for _, w in heads[1:]]
    right = {3, 4, 5, 6}
    head = "  ".join(
        h.rjust(w) if k in right else h.ljust(w) for k, ((h, _), w) in enumerate(zip(heads, widths, strict=True))
    )
    lines = [head.rstrip()]

    def shown(d: Decision) -> str:
        p = scale.points(d.score) if scale is not None else d.score
        cells = [
            _cut(d.id, widths[0]).ljust(widths[0]),
            _cut(d.title, widths[1]).ljust(widths[1]),
            _cut(d.category, widths[2]).ljust(widths[2]),
            _amount(d.requested, lang).rjust(widths[3]),
            _amount(d.granted, lang).rjust(widths[4]),
            number(p, lang, 2 if scale is not None else 3).rjust(widths[5]),
            str(d.rank).rjust(widths[6]),
            reason_text(d.reason, lang),
        ]
        return "  ".join(cells).rstrip()

    def key(d: Decision) -> tuple[float, int, str]:
        return (-d.score, d.rank, d.id)

    funded = sorted((d for d in solution.decisions if d.funded), key=key)
    others = sorted((d for d in solution.decisions if not d.funded), key=key)
    for group, label in (
        (funded, term("n_funded", lang)),
        (others, term("not_funded_count", lang)),
    ):
        if not group:
            continue
        tag = f"-- {label.lower()} ({len(group)}) "
        lines.append(tag + "-" * max(0, len(head) - len(tag)))
        lines.extend(shown(d) for d in group[:limit])
        if len(group) > limit:
            lines.append("   " + _more(len(group) - limit, lang, where))
    return "\n".join(lines)


_LABEL = 34


def _row(label: str, value: str) -> str:
    return f"{label:<{_LABEL}} {value}" if len(label) < _LABEL else f"{label}\n{'':<{_LABEL}} {value}"


def format_summary(
    solution: Solution,
    baseline: Solution | None = None,
    *,
    broken: Sequence[str] = (),
    lang: str = "en",
    problem: Problem | None = None,
    where: str = "",
    eur_nok_note: str = "",
    flagged: Sequence[str] = (),
) -> str:
    """Status, totals, rules at their limit, solver; then the comparison with rank and fund.

    ``broken`` lists the call's rules that the baseline still breaks; ``where`` names the
    file with the full lists; ``flagged`` the grants to report to the state-aid register.
    """
    s = solution
    cur = s.currency

    def m(a: int) -> str:
        return money(a, cur, lang)

    lines = [
        _row(term("call", lang), s.problem_name or "-"),
        _row(term("status", lang), status_text(s.status, lang)),
    ]
    if s.gap and s.status.has_solution:
        lines.append(_row(term("gap", lang), percent(100 * s.gap, lang, 3)))
    if s.status.has_solution:
        partly = sum(1 for d in s.decisions if 0 < d.granted < d.requested)
        of = "av" if lang == "nb" else "of"
        lines += [
            _row(term("frame", lang), m(s.frame)),
            _row(term("granted_total", lang), m(s.total_granted)),
            _row(term("left", lang), m(s.frame_left)),
            _row(
                term("funded_count", lang),
                f"{s.n_funded} {of} {len(s.decisions)}"
                + (f" ({term('partly_count', lang)} {partly})" if partly else ""),
            ),
            _row(term("value", lang), number(s.objective or 0.0, lang)),
            _row(term("tie_break", lang), tie_break_text(s.tie_break, lang, problem)),
        ]
        if flagged:
            lines.append(
                _row(
                    term("state_aid_count", lang),
                    cut_list(flagged, lang, _LIST_SHOWN, where=where),
                )
            )
    elif s.message:
        lines.append(_row(term("diagnosis", lang), s.message))
    if s.binding_rules:
        names = [rule_name(r, problem, lang) for r in s.binding_rules]
        lines.append(
            _row(
                term("binding_rules", lang),
                cut_list(names, lang, 6, where=where).replace(", ", "; "),
            )
        )
    runs = f"{s.solves} {('kjøring' if s.solves == 1 else 'kjøringer') if lang == 'nb' else ('run' if s.solves == 1 else 'runs')}"
    lines.append(
        _row(
            term("solver", lang),
            f"{(s.solver + ' ' + s.solver_version).strip()}, {number(s.runtime_s, lang, 2)} s, {runs}",
        )
    )
    notes = problem_notes(problem, lang, cli=True) if problem is not None else list(s.notes)
    if eur_nok_note:
        notes.append(eur_nok_note)
    for n in notes:
        lines.append(
            textwrap.fill(
                n,
                width=100,
                initial_indent=f"{term('notes', lang)}: ",
                subsequent_indent="  ",
            )
        )
    if baseline is not None and s.status.has_solution:
        c = compare(s, baseline)
        pct = f" ({percent(c.improvement_pct, lang, sign=True)})" if c.improvement_pct is not None else ""
        granted = "innvilget" if lang == "nb" else "granted"
        lines += [
            "",
            f"{term('comparison', lang)}:",
            "  "
            + _row(
                term("value_rank_and_fund", lang),
                f"{number(c.baseline_value, lang)}, {m(c.baseline_granted)} {granted}",
            ),
            "  "
            + _row(
                term("value_optimal", lang),
                f"{number(c.optimal_value, lang)}, {m(c.optimal_granted)} {granted}",
            ),
            "  "
            + _row(
                term("gain_short", lang),
                f"{'+' if c.improvement >= 0 else ''}{number(c.improvement, lang)}{pct}",
            ),
        ]
        for key, ids in (
            ("only_optimal", c.only_optimal),
            ("only_rank_and_fund", c.only_baseline),
            ("other_amount", c.different_amount),
        ):
            if ids:
                lines.append(f"  {term(key, lang)}: {cut_list(ids, lang, _LIST_SHOWN, where=where)}")
        if not (c.only_optimal or c.only_baseline or c.different_amount):
            lines.append(f"  {term('same_portfolio', lang)}")
        if broken:
            lines.append(
                f"  {term('rank_and_fund_breaks', lang)}: {'; '.join(rule_name(b, problem, lang) for b in broken)}"
            )
    return "\n".join(lines)


def format_explanations(
    solution: Solution,
    explanations: Any,
    *,
    lang: str = "en",
    width: int = 100,
    limit: int | None = None,
    where: str = "",
) -> str:
    """One sentence per application, in the order of :func:`format_decisions`."""
    column = f"sentence_{lang}" if f"sentence_{lang}" in explanations.columns else "sentence"
    sentences = dict(zip(explanations["id"], explanations[column], strict=True))
    order = sorted(solution.decisions, key=lambda d: (not d.funded, -d.score, d.rank, d.id))
    ids = max([len(d.id) for d in order] + [2])
    lines = [f"{term('explanation', lang)}:"]
    shown = order if limit is None else order[:limit]
    for d in shown:
        lines.append(
            textwrap.fill(
                str(sentences.get(d.id, "")),
                width=width,
                initial_indent=f"  {d.id.ljust(ids)}  ",
                subsequent_indent=" " * (ids + 4),
            )
        )
    if len(shown) < len(order):
        lines.append("  " + _more(len(order) - len(shown), lang, where))
    return "\n".join(lines)
