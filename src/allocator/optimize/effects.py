"""What the rules did to a solved portfolio: binding rules, locks, applications blocked.

A rule *binds* when one of its rows is at its limit in the optimum: the activity equals
the row's bound (exactly, for the integer rows; within 1e-6 relative otherwise). A floor
met exactly ("at least one network", one funded), a cap reached to the krone, a lock, a
dependency whose prerequisite is not funded: each is listed on the solution
(``Solution.binding_rules``) and on the decisions of the applications it concerns
(``Decision.binding_rules``).

An unfunded, eligible application is *blocked by a rule* when funding it at its smallest
possible grant, everything else unchanged, would break that rule (a co-financing or
maximum-grant cap below its minimum, a de minimis ceiling reached, an exclusive set full,
a prerequisite not funded). Its reason is ``BLOCKED_BY_RULE`` and its note names the rules.
Locked applications get ``LOCKED_IN`` / ``LOCKED_OUT``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from allocator.model.rules import MustFund, MustNotFund
from allocator.model.selectors import rule_where, select
from allocator.model.solution import Reason
from allocator.model.validate import rule_labels
from allocator.optimize.formulation import Formulation

__all__ = ["RuleEffects", "at_bound", "rule_effects"]


def _kr(v: int) -> str:
    return f"{v:,}".replace(",", " ") + " kr"


def at_bound(activity: float, lower: float, upper: float) -> bool:
    """Whether a row's activity is at one of its (finite) bounds."""
    return any(np.isfinite(b) and abs(activity - b) <= 1e-6 * max(1.0, abs(b)) for b in (lower, upper))


@dataclass
class RuleEffects:
    """Binding rows, locks and blocked applications of one solved portfolio."""

    binding: tuple[str, ...] = ()
    per_app: list[list[str]] = field(default_factory=list)
    locked_in: dict[int, str] = field(default_factory=dict)
    locked_out: dict[int, str] = field(default_factory=dict)
    blocked: dict[int, list[str]] = field(default_factory=dict)
    frame_blocks: set[int] = field(default_factory=set)
    minimum: list[int] = field(default_factory=list)

    def decide(self, i: int, reason: Reason, note: str, granted: int) -> tuple[Reason, str, tuple[str, ...]]:
        """The reason, note and binding rules of application ``i`` given the core's reason."""
        binding = tuple(self.per_app[i]) if self.per_app else ()
        if granted > 0:
            if i in self.locked_in:
                return Reason.LOCKED_IN, f"{note}; locked in by {self.locked_in[i]!r}", binding
            if reason is Reason.FUNDED_PARTIALLY and binding:
                return reason, f"{note}; held at the limit of {', '.join(repr(b) for b in binding)}", binding
            return reason, note, binding
        if reason is Reason.INELIGIBLE:
            return reason, note, binding
        if i in self.locked_out:
            return Reason.LOCKED_OUT, f"not funded: locked out by {self.locked_out[i]!r}", binding
        if reason in (Reason.OUTRANKED, Reason.TOO_LARGE) and i in self.blocked:
            names = ", ".join(repr(b) for b in dict.fromkeys(self.blocked[i]))
            also = " and the frame" if i in self.frame_blocks else ""
            return (
                Reason.BLOCKED_BY_RULE,
                f"not funded: funding it (at least {_kr(self.minimum[i])}) would break {names}{also}",
                binding,
            )
        return reason, note, binding

    def causes(self, i: int, reason: Reason) -> tuple[str, ...]:
        """The rules behind application ``i``'s ``reason``: the lock, the rules that funding
        it would break, or the rules that hold a partial grant at their limit."""
        if reason is Reason.LOCKED_IN and i in self.locked_in:
            return (self.locked_in[i],)
        if reason is Reason.LOCKED_OUT and i in self.locked_out:
            return (self.locked_out[i],)
        if reason is Reason.BLOCKED_BY_RULE:
            return tuple(dict.fromkeys(self.blocked.get(i, ())))
        if reason is Reason.FUNDED_PARTIALLY and self.per_app:
            return tuple(self.per_app[i])
        return ()


def rule_effects(f: Formulation, x: np.ndarray) -> RuleEffects:
    """Binding rules, locks and blocked applications for column values ``x`` of ``f``."""
    p = f.problem
    n = len(p.applications)
    eff = RuleEffects(per_app=[[] for _ in range(n)], minimum=[lv.minimum for lv in f.levels])
    labels = rule_labels(p.rules)
    for k, rule in enumerate(p.rules):
        if isinstance(rule, (MustFund, MustNotFund)):
            target = eff.locked_in if isinstance(rule, MustFund) else eff.locked_out
            for i in select(rule, p, where=rule_where(rule, k)):
                target.setdefault(i, labels[k])
    if not f.row_rules:
        return eff
    m = f.model
    act = m.activity(x)
    grants = f.grants(x)
    sel_app = {int(c): i for i, c in enumerate(f.select.tolist())}
    binding: list[str] = []
    for r, name in sorted(f.row_rules.items()):
        cols, vals = m.row(r)
        lo, hi = float(m.row_lower[r]), float(m.row_upper[r])
        if at_bound(float(act[r]), lo, hi):
            binding.append(name)
            for i in dict.fromkeys(int(a) for a in f.col_app[cols] if a >= 0):
                if name not in eff.per_app[i]:
                    eff.per_app[i].append(name)
        for c, v in zip(cols.tolist(), vals.tolist(), strict=True):
            i = sel_app.get(c, -1)
            if i < 0 or grants[i] > 0 or not f.scores.eligible[i]:
                continue
            after = act[r] + v
            if after > hi + 1e-6 * max(1.0, abs(hi)) or after < lo - 1e-6 * max(1.0, abs(lo)):
                eff.blocked.setdefault(i, []).append(name)
    left = p.frame - int(grants.sum())
    eff.frame_blocks = {i for i in eff.blocked if eff.minimum[i] > left}
    eff.binding = tuple(dict.fromkeys(binding))
    return eff
