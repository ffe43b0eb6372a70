"""Every rule kind against brute-force enumeration, on small random calls (hypothesis).

For each kind, binary and partial funding: the rule oracle of the tests
(:mod:`tests.oracle_rules`, written from the documentation, sharing no code with the
library's rules) decides which portfolios are admissible; :func:`tests.brute.lexicographic_best`
finds the best one under the documented tie-break; ``solve`` must return exactly it (or
report infeasibility when there is none), and its solution must satisfy the oracle.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from allocator import Problem, Status, solve
from tests.brute import lexicographic_best, portfolio_value
from tests.conftest import examples
from tests.oracle_rules import RuleOracle
from tests.rules_strategies import KINDS, ruled_problems


def _against_brute(p: Problem) -> None:
    oracle = RuleOracle(p)
    best = lexicographic_best(p, feasible=oracle)
    sol = solve(p, raise_on_failure=False)
    if best is None:
        assert sol.status is Status.INFEASIBLE
        assert sol.diagnosis is not None and sol.diagnosis.conflicting
        return
    assert sol.status is Status.OPTIMAL, sol.message
    assert oracle.admissible(sol.grants), oracle.broken(sol.grants)
    assert portfolio_value(p, sol.grants) == best.value
    assert sol.grants == best.grants


def _make(kind: str, partial: bool):  # type: ignore[no-untyped-def]
    @examples(12 if not partial else 8)
    @given(p=ruled_problems((kind,), partial=partial))
    def run(p: Problem) -> None:
        _against_brute(p)

    return run


@pytest.mark.parametrize("kind", KINDS)
def test_kind_binary_matches_brute_force(kind: str) -> None:
    _make(kind, False)()


@pytest.mark.parametrize("kind", KINDS)
def test_kind_partial_matches_brute_force(kind: str) -> None:
    _make(kind, True)()


@examples(25)
@given(p=ruled_problems(KINDS, max_rules=4))
def test_mixed_rules_binary_match_brute_force(p: Problem) -> None:
    _against_brute(p)


@examples(12)
@given(p=ruled_problems(KINDS, partial=True, max_rules=3))
def test_mixed_rules_partial_match_brute_force(p: Problem) -> None:
    _against_brute(p)


@examples(10)
@given(p=ruled_problems(KINDS, max_rules=3, thresholds=True))
def test_rules_with_thresholds_match_brute_force(p: Problem) -> None:
    _against_brute(p)
