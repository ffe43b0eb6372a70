"""Results: the decision on each application, and the solve that produced them.

A :class:`Solution` is plain data (pydantic, frozen): it can be stored as JSON, compared,
tabulated with :meth:`Solution.to_frame` (input order kept) and shown in a notebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from html import escape
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from allocator.exceptions import AllocatorError
from allocator.model.parts import Application
from allocator.status import Status

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Decision", "Reason", "RuleRef", "Solution", "Status"]


class Reason(str, Enum):
    """Why an application was, or was not, funded (the ``reason`` column)."""

    FUNDED = "funded"
    FUNDED_PARTIALLY = "funded_partially"
    INELIGIBLE = "ineligible"
    OUTRANKED = "outranked"
    TOO_LARGE = "too_large"
    LOCKED_IN = "locked_in"
    LOCKED_OUT = "locked_out"
    BLOCKED_BY_RULE = "blocked_by_rule"
    NOT_DECIDED = "not_decided"


class RuleRef(BaseModel):
    """A rule of the call, or one part of it, as data: the rule's ``label`` and the ``part``
    (a theme, an application, an undertaking, a year; empty for the whole rule).

    ``str(ref)`` is the text used in messages: ``"label [part]"``, or the label alone.

    Examples
    --------
    >>> r = RuleRef.parse("at most 40 % per theme [klynge: vann]")
    >>> r.label, r.part, str(r)
    ('at most 40 % per theme', 'klynge: vann', 'at most 40 % per theme [klynge: vann]')
    >>> RuleRef.parse("cap [x]", labels=["cap [x]"]).part
    ''
    """

    model_config = ConfigDict(frozen=True)

    label: str
    part: str = ""

    def __str__(self) -> str:
        return f"{self.label} [{self.part}]" if self.part else self.label

    @classmethod
    def parse(cls, text: str | RuleRef, labels: Sequence[str] = ()) -> RuleRef:
        """The rule and part of a text ``"label [part]"``.

        With the call's rule ``labels`` the split is exact; without them the part is what
        follows the last ``" ["`` when the text ends with ``"]"`` (a label that itself ends
        in ``"]"`` needs ``labels``).
        """
        if isinstance(text, RuleRef):
            return text
        text = str(text)
        for label in sorted(labels, key=len, reverse=True):
            if text == label:
                return cls(label=label)
            if text.startswith(label + " [") and text.endswith("]"):
                return cls(label=label, part=text[len(label) + 2 : -1])
        if labels:
            return cls(label=text)
        head, sep, tail = text.rpartition(" [")
        if sep and head and text.endswith("]"):
            return cls(label=head, part=tail[:-1])
        return cls(label=text)


def _refs_and_texts(data: Any, texts: str, refs: str) -> Any:
    """Fill the structured field from the text field, or the text field from the structured one."""
    if not isinstance(data, dict):
        return data
    if data.get(refs) is None and data.get(texts):
        data = {**data, refs: tuple(RuleRef.parse(t) for t in data[texts])}
    elif data.get(refs) and not data.get(texts):
        data = {
            **data,
            texts: tuple(
                str(RuleRef.model_validate(r) if isinstance(r, dict) else RuleRef.parse(r)) for r in data[refs]
            ),
        }
    return data


class Decision(BaseModel):
    """The decision on one application.

    Attributes
    ----------
    funded
        Whether it receives a grant.
    granted
        The grant, whole kroner (0 if not funded).
    score
        Its weighted score (the value of funding it in full).
    value
        What it contributes to the objective: ``score * granted / requested``.
    rank
        Its place by weighted score, 1 = best (ties share the better place).
    reason, note
        A reason code and one sentence in words (English; :mod:`allocator.words` says the
        reason in Norwegian or English for people).
    binding_rules, rule_refs
        The call's rules at their limit that concern this application: as text
        (``"label [part]"``) and as data (:class:`RuleRef`: label and part).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    title: str = ""
    applicant: str = ""
    category: str = ""
    requested: int
    granted: int
    funded: bool
    score: float
    value: float
    rank: int
    eligible: bool = True
    reason: Reason
    note: str = ""
    binding_rules: tuple[str, ...] = ()
    rule_refs: tuple[RuleRef, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _structured_rules(cls, data: Any) -> Any:
        return _refs_and_texts(data, "binding_rules", "rule_refs")

    @classmethod
    def of(
        cls,
        app: Application,
        *,
        granted: int,
        score: float,
        rank: int,
        eligible: bool,
        reason: Reason,
        note: str,
        binding_rules: tuple[str, ...] = (),
    ) -> Decision:
        """The decision on ``app``: its own fields copied, ``funded`` and ``value`` derived."""
        return cls(
            id=app.id,
            title=app.title,
            applicant=app.applicant,
            category=app.category,
            requested=app.requested,
            granted=granted,
            funded=granted > 0,
            score=score,
            value=score * granted / app.requested,
            rank=rank,
            eligible=eligible,
            reason=reason,
            note=note,
            binding_rules=binding_rules,
        )


class Solution(BaseModel):
    """The outcome of :func:`allocator.solve`.

    ``status`` comes first: decisions exist only when ``status.has_solution``.
    ``binding_rules`` (text) and ``rule_refs`` (:class:`RuleRef`) list the rules at their limit;
    ``notes`` say what a reader should know about the input (a scale that was inferred).
    """

    model_config = ConfigDict(frozen=True)

    status: Status
    message: str = ""
    problem_name: str = ""
    currency: str = "NOK"
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    frame: int
    total_granted: int = 0
    frame_left: int = 0
    n_funded: int = 0
    solver: str = ""
    solver_version: str = ""
    runtime_s: float = 0.0
    solves: int = 0
    method: str = ""
    """How the optimum was found: "mip", "knapsack" (exact dynamic program), "lagrange"."""
    tie_break: tuple[str, ...] = ()
    """The tie-break rule applied among portfolios of equal value (its keys, then "id")."""
    tied: bool | None = None
    """Whether other portfolios had the optimal value (the rule then chose); None: not examined."""
    binding_rules: tuple[str, ...] = ()
    rule_refs: tuple[RuleRef, ...] = ()
    notes: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()
    diagnosis: Any = Field(default=None, description="Why no portfolio exists (infeasible rules).")

    @model_validator(mode="before")
    @classmethod
    def _structured_rules(cls, data: Any) -> Any:
        return _refs_and_texts(data, "binding_rules", "rule_refs")

    # ------------------------------------------------------------------ access
    @property
    def funded_ids(self) -> list[str]:
        """Ids of the funded applications, in input order."""
        return [d.id for d in self.decisions if d.funded]

    @property
    def grants(self) -> dict[str, int]:
        """Grant per application id (0 when not funded)."""
        return {d.id: d.granted for d in self.decisions}

    def decision(self, id: str) -> Decision:
        """The decision on application ``id``."""
        for d in self.decisions:
            if d.id == id:
                return d

        raise AllocatorError(f"unknown application id {id!r}")

    # ---------------------------------------------------------------- exports
    def to_frame(self) -> pd.DataFrame:
        """One row per application, in the input's order.

        Columns: ``id``, ``title``, ``applicant``, ``category``, ``requested``, ``granted``,
        ``funded``, ``score``, ``value``, ``rank``, ``eligible``, ``reason``, ``note``,
        ``binding_rules``.
        """
        import pandas as pd

        cols = [c for c in Decision.model_fields if c != "rule_refs"]  # the rules as text: binding_rules
        ds = self.decisions
        data: dict[str, list[Any]] = {c: [getattr(d, c) for d in ds] for c in cols}  # column by column: fast
        data["reason"] = [r.value for r in data["reason"]]
        data["binding_rules"] = ["; ".join(r) for r in data["binding_rules"]]
        df = pd.DataFrame(data, columns=cols)
        return df.astype({"requested": "int64", "granted": "int64", "funded": "bool", "rank": "int64"})

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a dict (one row of a scenario table)."""
        return {
            "status": self.status.value,
            "objective": self.objective,
            "n_funded": self.n_funded,
            "total_granted": self.total_granted,
            "frame": self.frame,
            "frame_left": self.frame_left,
            "gap": self.gap,
            "solver": self.solver,
            "runtime_s": self.runtime_s,
        }

    # ----------------------------------------------------------------- display
    def __str__(self) -> str:
        head = f"Solution({self.status.value}"
        if self.status.has_solution:
            head += (
                f", value {self.objective:.4f}, {self.n_funded} funded, "
                f"{self.currency} {self.total_granted:,} of {self.currency} {self.frame:,}"
            )
            if self.gap:
                head += f", gap {self.gap:.3%}"
        head += f", {self.solver} {self.runtime_s:.3f}s)"
        return head

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr style='{'' if d.funded else 'color:#888'}'><td>{escape(d.id)}</td><td>{escape(d.title)}</td>"
            f"<td style='text-align:right'>{d.requested:,}</td><td style='text-align:right'>{d.granted:,}</td>"
            f"<td style='text-align:right'>{d.score:.3f}</td><td style='text-align:right'>{d.rank}</td>"
            f"<td>{escape(d.note or d.reason.value)}</td></tr>"
            for d in self.decisions
        )
        gap = f", gap {self.gap:.3%}" if self.gap else ""
        value = f"{self.objective:.4f}" if self.objective is not None else "-"
        return (
            f"<div><b>{escape(self.problem_name or 'allocator')}</b>: {escape(self.status.value)}, value {value}, "
            f"{self.n_funded} funded, {self.total_granted:,} of {self.frame:,} {escape(self.currency)} "
            f"({self.frame_left:,} left){gap}; {escape(self.solver)} {self.runtime_s:.3f}s"
            "<table><thead><tr><th>id</th><th>title</th><th>requested</th><th>granted</th><th>score</th>"
            f"<th>rank</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
