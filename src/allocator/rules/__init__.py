"""The call's rules: models, selection, constraints, an independent checker and a diagnosis.

Only the models are imported here (the domain model needs them); the other modules are
imported where they are used: :mod:`allocator.rules.constraints` (rules -> rows of the
integer program), :mod:`allocator.rules.check` (evaluate rules on given decisions),
:mod:`allocator.rules.diagnose` (which rules conflict), :mod:`allocator.rules.ledger`
(de minimis ledger).
"""

from allocator.rules.ledger import LedgerEntry
from allocator.rules.models import (
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

__all__ = [
    "RULE_KINDS",
    "BudgetPots",
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
]
