"""Request and response bodies, built on the library's own models.

A request carries a :class:`~allocator.model.Problem` exactly as ``problem.model_dump_json()``
writes it; a solve answers with a :class:`~allocator.model.solution.Solution` plus what a caller of
a service needs beside it (each reason in words, the tie-break in words, versions), so that
``Solution.model_validate(response)`` reads it back.
"""

from __future__ import annotations

import contextlib
import functools
import platform
from importlib import metadata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from allocator.server.library import (
    Comparison,
    Decision,
    Explanation,
    Problem,
    Solution,
    Violation,
    __version__,
    tie_break_text,
)
from allocator.server.words import reason_words

__all__ = [
    "CheckRequest",
    "CheckResponse",
    "DecisionOut",
    "ExplainRequest",
    "ExplainResponse",
    "ExplanationOut",
    "Lang",
    "RankAndFundRequest",
    "RankAndFundResponse",
    "SolveRequest",
    "SolveResponse",
    "explanation_out",
    "solve_response",
    "versions",
]

Lang = Literal["en", "nb"]
SolverName = Literal["highs", "cbc", "pulp-highs"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SolveRequest(_Request):
    """``POST /v1/solve``: the best portfolio for a problem."""

    problem: Problem
    time_limit: float | None = Field(
        default=None,
        gt=0,
        description="Seconds; at most the service's synchronous limit.",
    )
    explain: bool = Field(
        default=False,
        description="Add each decision's margins and what would change it.",
    )
    lang: Lang = Field(
        default="en",
        description="Language of the reasons in words: en or nb (Norwegian Bokmål).",
    )
    solver: SolverName = "highs"


class ExplanationOut(BaseModel):
    """Why one application was or was not funded, and by how much (see ``allocator.explain``)."""

    reason: str
    sentence: str = Field(description="The explanation in one sentence, in the request's language.")
    margin_up: float | None = Field(
        default=None,
        description="Not funded: how much its weighted score would have to rise to enter.",
    )
    margin_up_exact: str | None = Field(default=None, description="margin_up as an exact fraction.")
    margin_down: float | None = Field(
        default=None,
        description="Funded: how far its weighted score could fall before it leaves (none: the rules require it).",
    )
    margin_down_exact: str | None = None
    max_grant: int | None = Field(default=None, description="The largest request at which it is funded in full.")
    displaces: tuple[str, ...] = ()
    also_funded: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


class DecisionOut(Decision):
    """A decision, with its reason in words (and, when asked for, its explanation)."""

    reason_text: str = Field(description="The reason in words, in the request's language.")
    explanation: ExplanationOut | None = None


class SolveResponse(Solution):
    """A :class:`~allocator.model.solution.Solution`, with reasons and the tie-break in words and the versions used."""

    decisions: tuple[DecisionOut, ...] = ()
    lang: Lang = "en"
    tie_break_text: str = Field(default="", description="The tie-break rule applied, in words.")
    versions: dict[str, str] = Field(default_factory=dict, description="allocator, Python, HiGHS and PuLP versions.")


class CheckRequest(_Request):
    """``POST /v1/check``: a proposed portfolio checked against the frame and the call's rules.

    Give ``grants`` (application id -> grant in whole kroner; others get 0), or ``funded``
    (ids funded in full).
    """

    problem: Problem
    grants: dict[str, int] | None = None
    funded: list[str] | None = None

    @model_validator(mode="after")
    def _one_portfolio(self) -> CheckRequest:
        if (self.grants is None) == (self.funded is None):
            raise ValueError("give the proposed portfolio as either grants ({id: kroner}) or funded ([ids])")
        return self


class CheckResponse(BaseModel):
    """The violations (empty when every rule holds), as :class:`~allocator.rules.check.CheckResult` has them."""

    ok: bool = Field(description="True when no rule is broken.")
    violations: tuple[Violation, ...] = ()
    total_granted: int = 0
    n_funded: int = 0


class ExplainRequest(_Request):
    """``POST /v1/explain``: why each application was or was not funded."""

    problem: Problem
    solution: Solution | None = Field(default=None, description="Its optimal solution; solved here when omitted.")
    lang: Lang = "en"
    max_grant: bool = Field(
        default=True,
        description="Compute each application's largest fundable request (one more solve each).",
    )
    time_limit: float | None = Field(default=None, gt=0, description="Seconds per what-if solve.")


class ExplainResponse(BaseModel):
    """One explanation per application, in input order."""

    lang: Lang
    explanations: list[ExplanationOut]
    ids: list[str]


class RankAndFundRequest(_Request):
    """``POST /v1/rank-and-fund``: the optimum beside ranking by score and funding down the list."""

    problem: Problem
    lang: Lang = "en"
    time_limit: float | None = Field(default=None, gt=0)


class RankAndFundResponse(BaseModel):
    """Both portfolios and their comparison."""

    optimal: SolveResponse
    rank_and_fund: SolveResponse
    comparison: Comparison
    rules_broken: list[str] = Field(description="The call's rules that ranking and funding down the list still breaks.")


@functools.cache
def _installed() -> dict[str, str]:
    out = {"allocator": __version__, "python": platform.python_version()}
    for name in ("highspy", "pulp"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def versions(solver: str = "", solver_version: str = "") -> dict[str, str]:
    """allocator, Python, HiGHS (highspy) and PuLP versions (installed, not imported)."""
    out = dict(_installed())
    if solver:
        out["solver"] = f"{solver} {solver_version}".strip()
    return out


def _fraction(x: Any) -> tuple[float | None, str | None]:
    return (None, None) if x is None else (float(x), str(x))


def explanation_out(e: Explanation, lang: str) -> ExplanationOut:
    """An explanation as the service sends it (fractions as floats and exact text)."""
    up, up_x = _fraction(e.margin_up)
    down, down_x = _fraction(e.margin_down)
    return ExplanationOut(
        reason=e.reason.value,
        sentence=e.sentence(lang),
        margin_up=up,
        margin_up_exact=up_x,
        margin_down=down,
        margin_down_exact=down_x,
        max_grant=e.max_grant,
        displaces=e.displaces,
        also_funded=e.also_funded,
        replaced_by=e.replaced_by,
        rules=e.rules,
    )


def solve_response(solution: Solution, lang: str, explained: list[Explanation] | None = None) -> SolveResponse:
    """The response for ``solution``: each decision with its reason in words (and explanation)."""
    by_id = {e.id: explanation_out(e, lang) for e in explained or []}
    decisions = tuple(
        DecisionOut(
            **d.model_dump(),
            reason_text=reason_words(d, lang, solution.currency),
            explanation=by_id.get(d.id),
        )
        for d in solution.decisions
    )
    data = {k: getattr(solution, k) for k in Solution.model_fields if k != "decisions"}
    return SolveResponse(
        **data,
        decisions=decisions,
        lang=lang,  # type: ignore[arg-type]
        tie_break_text=tie_break_text(solution.tie_break) if solution.status.has_solution else "",
        versions=versions(solution.solver, solution.solver_version),
    )
