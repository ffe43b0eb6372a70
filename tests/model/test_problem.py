"""The domain model (pydantic, frozen) and exact scoring."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given
from pydantic import ValidationError

from allocator import AllocatorError, Application, Criterion, Options, Problem
from allocator.exceptions import InputError
from allocator.model.scoring import score
from allocator.optimize import build
from tests.brute import weighted_score
from tests.conftest import examples, problems

GREEN = Criterion(name="green", weight=0.4, scale_min=1, scale_max=7)
SMART = Criterion(name="smart", weight=0.6, scale_min=1, scale_max=7)


def _problem(**options: object) -> Problem:
    apps = [
        Application(id="A-1", requested=300_000, scores={"green": 6, "smart": 5}),
        Application(id="A-2", requested=200_000, minimum=100_000, scores={"green": 1, "smart": 7}),
        Application(id="A-10", requested=150_000, scores={"green": 3.5, "smart": 2}),
    ]
    return Problem(frame=400_000, criteria=[GREEN, SMART], applications=apps, options=Options(**options))


# ------------------------------------------------------------------- frozen, JSON
def test_models_are_frozen() -> None:
    p = _problem()
    with pytest.raises(ValidationError, match="frozen"):
        p.frame = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        p.applications[0].requested = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        p.criteria[0].weight = 5  # type: ignore[misc]
    assert p.frame == 400_000 and p.applications[0].requested == 300_000 and p.criteria[0].weight == 0.4


@examples(40)
@given(problems(max_n=8, partial=None, thresholds=True, tie_break=True, normalisation=None, half_points=True))
def test_problem_json_round_trip(p: Problem) -> None:
    text = p.model_dump_json()
    again = Problem.model_validate_json(text)
    assert again == p
    assert again.model_dump_json() == text
    assert Problem.model_validate(json.loads(text)) == p


def test_json_schema() -> None:
    schema = Problem.model_json_schema()
    json.dumps(schema)
    assert {"frame", "criteria", "applications", "options"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"frame", "criteria", "applications"}
    defs = schema["$defs"]
    assert {"Application", "Criterion", "Options"} <= set(defs)
    assert "requested" in defs["Application"]["required"]
    assert defs["Application"]["properties"]["requested"]["type"] == "integer"


# ----------------------------------------------------------- validation errors
@pytest.mark.parametrize(
    ("make", "field", "value"),
    [
        (lambda: Application(id="A", requested=-5), "requested", "-5"),
        (lambda: Application(id="A", requested=0), "requested", "0"),
        (lambda: Application(id="A", requested="abc"), "requested", "'abc'"),
        (lambda: Application(id="A", requested=True), "requested", "True"),
        (lambda: Application(id="A", requested=10, scores={"g": math.nan}), "scores", "nan"),
        (lambda: Application(id="A", requested=10, minimum=20), "minimum", "20"),
        (lambda: Application(id="A", requested=10, total_cost=-1), "total_cost", "-1"),
        (lambda: Application(id="  ", requested=10), "id", "'  '"),
        (lambda: Criterion(name="green", weight=-1), "weight", "-1"),
        (lambda: Criterion(name="green x", weight=1), "name", "'green x'"),
        (lambda: Criterion(name="g", weight=1, scale_min=1, scale_max=7, threshold=8), "threshold", "8"),
        (lambda: Criterion(name="g", weight=math.inf), "weight", "inf"),
        (lambda: Options(step=0), "step", "0"),
        (lambda: Options(min_share=1.5), "min_share", "1.5"),
        (lambda: Options(normalisation="z"), "normalisation", "'z'"),
        (lambda: Options(partial=True, colour="red"), "colour", "'red'"),
        (lambda: _problem().with_frame(0), "frame", "0"),
        (lambda: _problem().with_options(tie_break=("blue",)), "tie_break", "'blue'"),
        (lambda: _problem().with_options(step=2.5), "step", "2.5"),
        (lambda: _problem().with_weights(green=-1), "weight", "-1"),
        (lambda: _problem().with_weights(green=math.nan), "weight", "nan"),
        (
            lambda: Problem(
                frame=10, criteria=[GREEN], applications=[Application(id="A", requested=5, scores={"green": 9})]
            ),
            "green",
            "9",
        ),
        (
            lambda: Problem(
                frame=10, criteria=[GREEN], applications=[Application(id="A", requested=5, scores={"smart": 3})]
            ),
            "green",
            "'A'",
        ),
        (
            lambda: Problem(
                frame=10,
                criteria=[GREEN],
                applications=[Application(id=i, requested=5, scores={"green": 3}) for i in ("A", "B", "A")],
            ),
            "id",
            "'A'",
        ),
        (lambda: Problem(frame=10, criteria=[GREEN], applications=[]), "applications", ""),
        (
            lambda: Problem(
                frame=10, criteria=[GREEN, GREEN], applications=[Application(id="A", requested=5, scores={"green": 3})]
            ),
            "criterion",
            "'green'",
        ),
        (
            lambda: Problem.model_validate_json(
                '{"frame": 10, "criteria": [{"name": "g", "weight": 1}],'
                ' "applications": [{"id": "A", "requested": 5.5, "scores": {"g": 1}}]}'
            ),
            "requested",
            "5.5",
        ),
    ],
)
def test_validation_errors_are_input_errors_naming_field_and_value(make: object, field: str, value: str) -> None:
    with pytest.raises(AllocatorError) as err:
        make()  # type: ignore[operator]
    assert isinstance(err.value, InputError) and isinstance(err.value, ValueError)
    text = str(err.value)
    assert field.replace("_", " ") in text.replace("_", " ")
    assert value in text
    assert "Problem: field 'Problem'" not in text and text.count("Application: field 'requested'") <= 1
    assert "\n" not in text and "pydantic" not in text


@pytest.mark.parametrize("amount", [2_300_000, 2_300_000.0, 2.3e6])
def test_whole_money_in_float_form_is_accepted_as_int(amount: float) -> None:
    a = Application(id="A", requested=amount, minimum=amount, total_cost=amount)
    p = Problem(
        frame=amount, criteria=[GREEN], applications=[Application(id="B", requested=amount, scores={"green": 3})]
    )
    for v in (a.requested, a.minimum, a.total_cost, p.frame):
        assert v == 2_300_000 and type(v) is int


@pytest.mark.parametrize("amount", [2_300_000.5, 0.1, math.inf, math.nan])
def test_fractional_money_is_refused(amount: float) -> None:
    with pytest.raises(InputError, match="whole"):
        Application(id="A", requested=amount)
    with pytest.raises(InputError, match="whole"):
        Problem(frame=amount, criteria=[GREEN], applications=[Application(id="B", requested=1, scores={"green": 3})])


# --------------------------------------------------------------------- variants
def test_variants_revalidate_and_never_mutate() -> None:
    p = _problem()
    before = p.model_dump_json()
    q = p.with_weights({"green": 1}, smart=2)
    assert q.weights == {"green": 1.0, "smart": 2.0} and p.weights == {"green": 0.4, "smart": 0.6}
    assert p.with_frame(123_000).frame == 123_000
    r = p.with_options(partial=True, step=5_000.0)
    assert r.options.partial and r.options.step == 5_000 and type(r.options.step) is int
    assert not p.options.partial
    with pytest.raises(AllocatorError, match="unknown criteria"):
        p.with_weights(blue=1)
    with pytest.raises(InputError, match="all criterion weights are 0"):
        p.with_weights(green=0, smart=0)
    with pytest.raises(InputError, match="whole"):
        p.with_frame(1.5)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        p.with_options(min_share=0)
    assert p.model_dump_json() == before


# ---------------------------------------------------------------------- scoring
def test_max_normalisation_hand_computed() -> None:
    s = score(_problem())
    # 0.4 * 6/7 + 0.6 * 5/7 = 27/35; 0.4 * 1/7 + 0.6 * 7/7 = 23/35; 0.4 * 3.5/7 + 0.6 * 2/7 = 13/35
    assert s.exact == (Fraction(27, 35), Fraction(23, 35), Fraction(13, 35))
    assert s.weighted.tolist() == [27 / 35, 23 / 35, 13 / 35]
    assert s.denominator == 35


def test_range_normalisation_hand_computed() -> None:
    s = score(_problem(normalisation="range"))
    # 0.4 * 5/6 + 0.6 * 4/6 = 11/15; 0.4 * 0 + 0.6 * 1 = 3/5; 0.4 * 2.5/6 + 0.6 * 1/6 = 4/15
    assert s.exact == (Fraction(11, 15), Fraction(3, 5), Fraction(4, 15))
    assert s.weighted.tolist() == [11 / 15, 3 / 5, 4 / 15]
    assert s.normalised[1].tolist() == [0.0, 1.0]


@examples(40)
@given(problems(max_n=12, partial=None, thresholds=True, normalisation=None, half_points=True))
def test_scores_equal_the_exact_definition(p: Problem) -> None:
    s = score(p)
    expected = [weighted_score(p, a) for a in p.applications]
    assert list(s.exact) == expected
    assert s.weighted.tolist() == [float(v) for v in expected]


def test_exact_integer_scale_for_decimal_weights() -> None:
    crit = [
        Criterion(name="green", weight=0.35, scale_max=5),
        Criterion(name="smart", weight=0.15, scale_max=5),
        Criterion(name="innovation", weight=0.5, scale_max=6),
    ]
    apps = [
        Application(id=f"A-{i}", requested=10_000 * (i + 1), scores={"green": g, "smart": s, "innovation": v})
        for i, (g, s, v) in enumerate([(4, 3, 5), (2.5, 5, 1), (5, 0, 6), (1, 1, 2)])
    ]
    for opts in (Options(), Options(partial=True, step=7_000)):
        p = Problem(frame=50_000, criteria=crit, applications=apps, options=opts)
        f = build(p)
        assert f.scale is not None
        obj = f.model.objective
        assert all(float(v).is_integer() for v in obj)
        # every coefficient is scale x (exact value x share of the request one unit grants)
        for j, (i, amount) in enumerate(zip(f.col_app.tolist(), f.col_amount.tolist(), strict=True)):
            a = p.applications[i]
            assert Fraction(int(obj[j]), f.scale) == weighted_score(p, a) * int(amount) / a.requested
