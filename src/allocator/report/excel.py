"""The names ``allocator.report.excel`` had before the report was split by concept.

The workbook is written by :mod:`allocator.report.workbook`; the wording comes from
:mod:`allocator.words`. These names stay importable from here so that code written against
the former module keeps working.
"""

from __future__ import annotations

from typing import Any

from allocator.report.layout import DIFFERS_FILL, FUNDED_FILL, INELIGIBLE_FILL, PARTLY_FILL, STATE_AID_FILL
from allocator.report.workbook import SHEETS, write_report
from allocator.rules.check import check
from allocator.words import tie_break_text

__all__ = [
    "DIFFERS_FILL",
    "FUNDED_FILL",
    "INELIGIBLE_FILL",
    "PARTLY_FILL",
    "SHEETS",
    "STATE_AID_FILL",
    "rules_broken",
    "tie_break_text",
    "write_report",
]


def rules_broken(problem: Any, decisions: Any) -> list[str]:
    """Labels of the call's rules that ``decisions`` break (ranking by score may miss a floor).

    Examples
    --------
    >>> from allocator import rank_and_fund
    >>> from allocator.data import load_example
    >>> rules_broken(load_example(), rank_and_fund(load_example()))  # a call without rules
    []
    """
    if problem is None or decisions is None or not getattr(problem, "rules", ()):
        return []
    return list(check(problem, decisions).rules)
