"""Which applications a rule is about, and the messages when a selector names nothing: by hand.

The call (five applications; selectors match text ignoring case and extra spaces, numbers
as numbers, yes/no values only as yes/no):

==  ================  ==================  =========  =====  ======  =====
id  category          tags                Fylkesdel  Ny     Antall  Sum
==  ================  ==================  =========  =====  ======  =====
A   cluster: water    green, Telemark     Telemark   True   1       1 000
B   CLUSTER: water                        VESTFOLD   False  2       3
C   cluster: it       (empty), green      Vestfold   1      2.0     2,5
D   network                               telemark   False  3
E   network           new                 (NaN)
==  ================  ==================  =========  =====  ======  =====
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from allocator import Application, Criterion, Problem
from allocator.exceptions import PolicyError
from allocator.model.selectors import (
    FIELDS,
    column_values,
    columns,
    did_you_mean,
    groups,
    matches,
    rule_where,
    select,
)
from allocator.rules import GroupLimit

NAN = math.nan
COLUMNS = ["id", "title", "applicant", "category", "tags", "requested", "minimum", "total_cost"]


def app(id: str, category: str, tags: tuple[str, ...], **attributes: Any) -> Application:
    return Application(id=id, requested=100, category=category, tags=tags, scores={"g": 1}, attributes=attributes)


def call() -> Problem:
    return Problem(
        frame=1_000,
        criteria=[Criterion(name="g", weight=1)],
        applications=[
            app("A", "cluster: water", ("green", "Telemark"), Fylkesdel="Telemark", Ny=True, Antall=1, Sum="1 000"),
            app("B", "CLUSTER: water", (), Fylkesdel="VESTFOLD", Ny=False, Antall=2, Sum=3),
            app("C", "cluster: it", ("", "green"), Fylkesdel="Vestfold", Ny=1, Antall=2.0, Sum="2,5"),
            app("D", "network", (), Fylkesdel="telemark", Ny=False, Antall=3),
            app("E", "network", ("new",), Fylkesdel=NAN),
        ],
    )


def picks(**selector: Any) -> list[str]:
    p = call()
    return [p.applications[i].id for i in select(GroupLimit(max_count=5, label="r", **selector), p)]


def refusal(**selector: Any) -> str:
    with pytest.raises(PolicyError) as exc:
        select(GroupLimit(max_count=5, label="r", **selector), call())
    return str(exc.value)


# ------------------------------------------------------------------ selection
@pytest.mark.parametrize(
    ("selector", "ids"),
    [
        ({"category": "cluster*"}, ["A", "B", "C"]),  # ignoring case
        ({"category": ["network", "cluster: it"]}, ["C", "D", "E"]),  # any of several values
        ({"category": "cluster: ?t"}, ["C"]),
        ({"category": "cluster: [wi]*"}, ["A", "B", "C"]),
        ({"ids": ["A", "C", "D"]}, ["A", "C", "D"]),
        ({"ids": ["A", "C", "D"], "category": "cluster*"}, ["A", "C"]),  # every selector at once
        ({"tag": "GREEN"}, ["A", "C"]),
        ({"tag": "green", "category": "cluster: water"}, ["A"]),
        ({"where": {"fylkesdel": "TELEMARK"}}, ["A", "D"]),  # the column's name ignoring case too
        ({"where": {"Fylkesdel": "telemark"}, "category": "network"}, ["D"]),
        ({"where": {"Fylkesdel": ["Vestfold", "telemark"]}}, ["A", "B", "C", "D"]),
        ({"where": {"Antall": "2"}}, ["B", "C"]),  # 2 and 2.0 as numbers
        ({"where": {"Sum": 1000}}, ["A"]),  # "1 000" as a number
        ({"where": {"Sum": 2.5}}, ["C"]),  # "2,5" with a decimal comma
        ({"where": {"Ny": True}}, ["A"]),  # a yes/no value matches only yes/no: not C's 1
        ({"where": {"Ny": 1}}, ["C"]),  # and the number 1 not A's True
        ({"where": {"Ny": False}, "tag": "new"}, []),  # each selector matches someone; together nobody
    ],
)
def test_select(selector: dict[str, Any], ids: list[str]) -> None:
    assert picks(**selector) == ids


# ------------------------------------------------------------------ one cell against one value
@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        (None, None, True),
        (None, "", True),  # empty is empty
        (NAN, None, True),
        ("", "x", False),
        (None, "x", False),
        (True, "true", True),
        (True, "TRUE", True),
        (False, "true", False),
        (True, 1, False),
        (1, True, False),
        (True, "tr*", False),  # a yes/no cell is yes or no, never text a wildcard matches
        (2, "2.0", True),
        (2.0, 2, True),
        ("2,5", 2.5, True),
        ("1 000", 1000, True),
        (3, 2, False),
        (25, "2*", True),  # a wildcard compares text
        (35, "2*", False),
        ("Cluster:  Water", "cluster: water", True),  # spaces collapsed, case ignored
        ("cluster:  water", "cluster:?water", True),  # ... to one space, which ? matches
        (("green", "Telemark"), "telemark", True),  # a tag list matches if any tag does
        ((), "x", False),
        ("A1", "a[0-9]", True),
        ("AB", "a[0-9]", False),
        ("ab[", "*?[", True),  # every wildcard character at once; an unclosed [ is itself
        ("network", "net", False),
    ],
)
def test_matches(value: Any, pattern: Any, expected: bool) -> None:
    assert matches(value, pattern) is expected


# ------------------------------------------------------------------ groups
def test_groups_by_column_tags_and_application() -> None:
    p = call()
    every = list(range(5))
    assert groups(p, every, None, "w") == [("", every)]
    # the first spelling names the group; E's empty cell is in no group
    assert groups(p, every, "fylkesdel", "w") == [("Telemark", [0, 3]), ("VESTFOLD", [1, 2])]
    # each tag a group; C's empty tag is skipped, its other tag counts
    assert groups(p, every, "tags", "w") == [("green", [0, 2]), ("Telemark", [0]), ("new", [4])]
    assert groups(p, [1, 3], " Application ", "w") == [("B", [1]), ("D", [3])]
    with pytest.raises(PolicyError) as exc:
        groups(p, every, "Fylke", "rule 2 ('r')")
    assert str(exc.value) == (
        f"rule 2 ('r'): unknown column 'Fylke'; did you mean 'Fylkesdel'? The columns are {[*COLUMNS, 'Fylkesdel', 'Ny', 'Antall', 'Sum']}"
    )


def test_columns_and_their_values() -> None:
    p = call()
    assert list(FIELDS) == COLUMNS
    assert columns(p) == [*COLUMNS, "Fylkesdel", "Ny", "Antall", "Sum"]  # in order of first appearance
    assert column_values(p, "category") == ["cluster: water", "CLUSTER: water", "cluster: it", "network", "network"]
    assert column_values(p, "Sum") == ["1 000", 3, "2,5", None, None]  # None where an application has no cell


# ------------------------------------------------------------------ the messages
def test_unknown_ids() -> None:
    assert refusal(ids=["A", "Q"]) == "rule 'r': unknown application id 'Q'; the ids are ['A', 'B', 'C', 'D', 'E']"
    assert (
        refusal(ids=["a"])
        == "rule 'r': unknown application id 'a'; did you mean 'A'? The ids are ['A', 'B', 'C', 'D', 'E']"
    )
    with pytest.raises(PolicyError, match=r"^rule 4 \('r'\): unknown application id 'Q';"):
        select(
            GroupLimit(ids=["Q"], max_count=1, label="r"),
            call(),
            where=rule_where(GroupLimit(max_count=1, label="r"), 3),
        )


def test_nothing_selected_names_what_there_is() -> None:
    assert refusal(category="netwrk") == (
        "rule 'r': no application has category 'netwrk'; did you mean 'network'? "
        "The categories are ['cluster: water', 'cluster: it', 'network']"  # each once, ignoring case
    )
    assert refusal(category=["network", "museum"]) == (
        "rule 'r': no application has category 'museum'; the categories are ['cluster: water', 'cluster: it', 'network']"
    )
    assert refusal(tag="gren") == (
        "rule 'r': no application has tag 'gren'; did you mean 'green'? The tags are ['green', 'Telemark', 'new']"
    )
    assert refusal(where={"Fylkesdel": "Oslo"}) == (
        "rule 'r': no application has column 'Fylkesdel' = 'Oslo'; the values of 'Fylkesdel' are ['Telemark', 'VESTFOLD']"
    )
    assert refusal(where={"Fylke": "Oslo"}) == (
        f"rule 'r': unknown column 'Fylke'; did you mean 'Fylkesdel'? The columns are {[*COLUMNS, 'Fylkesdel', 'Ny', 'Antall', 'Sum']}"
    )


def test_a_column_name_two_columns_differ_from_only_in_case_is_refused() -> None:
    p = Problem(
        frame=1_000,
        criteria=[Criterion(name="g", weight=1)],
        applications=[app("A", "x", (), Region="Øst"), app("B", "x", (), REGION="Vest")],
    )
    with pytest.raises(PolicyError) as exc:
        select(GroupLimit(where={"region": "Øst"}, max_count=1, label="r"), p)
    assert str(exc.value) == (
        "rule 'r': column 'region' is ambiguous: ignoring case and spaces it is each of ['Region', 'REGION']; "
        "give one of them exactly as written"
    )
    assert select(GroupLimit(where={"Region": "øst"}, max_count=1, label="r"), p) == [0]  # the exact name


@pytest.mark.parametrize(("n", "shown"), [(30, 30), (31, 30)])
def test_at_most_thirty_names_are_listed(n: int, shown: int) -> None:
    ids = [f"K{k:02d}" for k in range(n)]
    p = Problem(frame=1_000, criteria=[Criterion(name="g", weight=1)], applications=[app(i, "x", ()) for i in ids])
    with pytest.raises(PolicyError) as exc:
        select(GroupLimit(ids=["Q"], max_count=1, label="r"), p)
    listed = ids[:shown] + (["..."] if n > shown else [])
    assert str(exc.value) == f"rule 'r': unknown application id 'Q'; the ids are {listed}"


def test_rule_where_and_did_you_mean() -> None:
    rule = GroupLimit(max_count=1, label="one network")
    assert rule_where(rule) == "rule 'one network'"
    assert rule_where(rule, 2) == "rule 3 ('one network')"
    assert did_you_mean("netwrk", ["Cluster", "Network"]) == "; did you mean 'Network'?"
    assert did_you_mean("zzz", ["network"]) == ""
