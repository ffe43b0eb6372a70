"""Explanations answered in several threads, each with its own copy of the model.

Every answer is proven, so the explanations must be identical whatever the number of
threads: on the example call with its policy (partial funding, eight rules) and on random
calls with rules, all-or-nothing and partial. The correctness of the answers themselves is
checked against brute force in test_explain.py (which runs with the default threads).
"""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given

from allocator import AllocatorError, Problem, solve
from allocator.analysis.explain import explanations
from allocator.data import load_example, load_example_policy
from tests.conftest import examples
from tests.rules_strategies import KINDS, ruled_problems


def test_the_example_with_its_policy_is_explained_alike_in_one_and_in_three_threads() -> None:
    p = load_example_policy().apply(load_example())
    s = solve(p)
    one = explanations(p, s, threads=1)
    assert explanations(p, s, threads=3) == one
    assert explanations(p, s) == one  # the default
    assert [e.id for e in one] == p.ids


@examples(15)
@given(p=ruled_problems(KINDS, max_rules=3))
def test_random_calls_with_rules_are_explained_alike_in_any_number_of_threads(p: Problem) -> None:
    s = solve(p, raise_on_failure=False)
    if not s.status.has_solution:
        return
    assert explanations(p, s, threads=2) == explanations(p, s, threads=1)


@examples(8)
@given(p=ruled_problems(KINDS, max_rules=2, partial=True))
def test_partial_funding_is_explained_alike_in_any_number_of_threads(p: Problem) -> None:
    s = solve(p, raise_on_failure=False)
    if not s.status.has_solution:
        return
    assert explanations(p, s, threads=4) == explanations(p, s, threads=1)


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_a_wrong_number_of_threads_is_refused_by_name(threads: object) -> None:
    p = load_example()
    with pytest.raises(AllocatorError, match=r"threads=.*give a whole number of threads, 1 or more, or None"):
        explanations(p, threads=threads)  # type: ignore[arg-type]


def test_an_error_in_one_thread_is_raised_and_the_others_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    p = load_example_policy().apply(load_example())
    s = solve(p)
    asked: list[int] = []
    explain_module = importlib.import_module("allocator.analysis.explain")  # the module, not the function
    real = explain_module._one

    def failing(w, i, *args):  # type: ignore[no-untyped-def]
        asked.append(i)
        if i == 3:
            raise RuntimeError("application 3 failed")
        return real(w, i, *args)

    monkeypatch.setattr(explain_module, "_one", failing)
    with pytest.raises(RuntimeError, match="application 3 failed"):
        explanations(p, s, threads=2)
    assert len(asked) < len(p.applications)  # the rest were not asked once one had failed
