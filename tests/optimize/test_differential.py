"""Every solver, both row orders, the same decisions (issue 9: the differential suite).

Random calls with rules (ids equal as numbers and different as text among them, such as
'A-1' and 'A-01') are solved by every available solver (HiGHS, HiGHS through PuLP, CBC where
PuLP has it; CI runs this under PuLP 3 and PuLP 4) on the rows as drawn and shuffled; status,
grants identical and the value equal up to the order of summation, and a portfolio must satisfy every rule by the checker.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Problem, check, solve
from tests.conftest import examples, solver_names
from tests.rules_strategies import KINDS, ruled_problems


@examples(15)
@given(ruled_problems(KINDS, partial=None), st.randoms(use_true_random=False))
def test_every_solver_and_row_order_give_the_same_decisions(p: Problem, rnd: Any) -> None:
    apps = list(p.applications)
    rnd.shuffle(apps)
    shuffled = p._rebuilt(applications=tuple(apps))
    ref = solve(p, raise_on_failure=False)
    for solver in solver_names():
        for q in (p, shuffled):
            got = solve(q, solver=solver, raise_on_failure=False)
            assert got.status is ref.status, (solver, got.message, ref.message)
            if ref.status.has_solution:
                assert got.grants == ref.grants, solver
                assert got.objective == pytest.approx(ref.objective, rel=1e-12), solver  # summed in row order
                assert check(q, got.grants).ok, solver
