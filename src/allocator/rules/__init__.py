"""The call's rules: what they mean for a portfolio.

The rules themselves are data of the domain model (:mod:`allocator.model.rules`, re-exported
here: ``from allocator.rules import GroupLimit``). This package gives them meaning:
:mod:`allocator.rules.rows` (each rule as linear rows in the grants and funded indicators)
and :mod:`allocator.rules.check` (evaluate every rule on given decisions). Which rules
conflict when no portfolio satisfies them all: :func:`allocator.analysis.diagnose`.
"""

from allocator.model.ledger import LedgerEntry
from allocator.model.rules import (
    RULE_KINDS,
    BudgetPots,
    CoFinancing,
    DeMinimis,
    Exclusive,
    FundedCount,
    GroupLimit,
    MaxGrant,
    MultiYear,
    MustFund,
    MustNotFund,
    Requires,
    Rule,
)
from allocator.rules.check import Checker, CheckResult, Violation, check

__all__ = [
    "RULE_KINDS",
    "BudgetPots",
    "CheckResult",
    "Checker",
    "CoFinancing",
    "DeMinimis",
    "Exclusive",
    "FundedCount",
    "GroupLimit",
    "LedgerEntry",
    "MaxGrant",
    "MultiYear",
    "MustFund",
    "MustNotFund",
    "Requires",
    "Rule",
    "Violation",
    "check",
]
