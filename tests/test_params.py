import json
import math

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from simulation.params import FUNCTIONS, MODELS, ByRank, Params, ShareByRank, describe, kernel_params


def test_defaults_are_a_valid_scenario():
    p = Params()
    assert p.mentoring.model in MODELS
    assert p.n_months == 12 * p.horizon_years


def test_every_parameter_has_unit_meaning_and_source():
    rows = describe()
    assert len(rows) > 80
    for r in rows:
        assert r["unit"], r["name"]
        assert r["meaning"], r["name"]
        assert r["source"], r["name"]


def test_calibrated_parameters_say_so():
    calibrated = {r["name"] for r in describe() if r["source"].startswith("calibrated")}
    for name in ("exits.hazard_initial", "grants.success_intercept", "careers.pubs_per_capital_year",
                 "promotion.bar_associate", "mentors.trainees_mean"):
        assert name in calibrated


def test_schema_is_strict_and_frozen():
    with pytest.raises(ValidationError):
        Params.model_validate({"population": {"n_faculty": 100, "colour": 1}})
    with pytest.raises(ValidationError):
        Params().population.n_faculty = 5


def test_rank_shares_must_sum_to_one():
    with pytest.raises(ValidationError, match="sum to 1"):
        Params.model_validate({"population": {"share_rank": {"assistant": 0.5, "associate": 0.5, "full": 0.5}}})


def test_kernel_params_flatten_vectors_in_function_order():
    p = Params.model_validate({"needs": {"early_assistant": {
        "science": 1, "skills": 2, "career": 3, "networking": 4, "psychosocial": 5}}})
    kp = kernel_params(p)
    assert kp is not None
    from simulation.params import KernelParams, _flatten
    flat = _flatten(p)
    assert np.array_equal(flat["needs_early_assistant"], [1, 2, 3, 4, 5])
    assert len(FUNCTIONS) == 5
    assert set(flat) <= set(KernelParams._fields)


@pytest.mark.parametrize("model, slots", [("dyad", 1), ("committee", 2), ("network", 3), ("peer", 0)])
def test_slot_counts_follow_the_model(model, slots):
    p = Params.model_validate({"mentoring": {"model": model}})
    assert p.n_mentor_slots == slots
    assert p.n_peer_slots == (p.peers.group_size - 1 if model == "peer" else 0)


def test_odd_generated_tables_are_up_to_date():
    from simulation.docs import main

    assert main(["--check"]) == 0, "run `python -m simulation.docs` to regenerate docs/ODD.md tables"


def test_defaults_round_trip_through_json():
    p = Params()
    assert Params.model_validate(p.model_dump(mode="json")) == p
    assert Params.model_validate(json.loads(json.dumps(p.model_dump(mode="json")))) == p


def test_scalars_are_strict_but_ints_are_floats_and_lists_are_tuples():
    p = Params.model_validate({"exits": {"hazard_floor": 0}, "population": {"years_to_associate": [5, 7]},
                               "grants": {"cycle_months": [0, 6]}})
    assert isinstance(p.exits.hazard_floor, float) and p.population.years_to_associate == (5.0, 7.0)
    assert p.grants.cycle_months == (0, 6)
    for bad in ({"population": {"n_faculty": "300"}}, {"population": {"n_faculty": 300.0}},
                {"network": {"max_ties": True}}, {"mentoring": {"peers": "yes"}}, {"mentoring": {"peers": 1}},
                {"exits": {"hazard_floor": "0.1"}}, {"exits": {"hazard_floor": True}}, {"name": 5},
                {"grants": {"cycle_months": [0, 6.0]}}):
        with pytest.raises(ValidationError):
            Params.model_validate(bad)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused_everywhere(value):
    for bad in ({"population": {"institution_size_cv": value}}, {"needs": {"full": {"science": value}}},
                {"mentors": {"capacity_hours": {"full": value}}}, {"population": {"years_to_full": [11.0, value]}}):
        with pytest.raises(ValidationError, match="finite number"):
            Params.model_validate(bad)


def test_every_share_by_rank_is_a_share_by_rank():
    rows = {r["name"]: r for r in describe()}
    for section_name, section in Params.model_fields.items():
        model = section.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name, info in model.model_fields.items():
            if isinstance(info.annotation, type) and issubclass(info.annotation, ByRank):
                is_share = rows[f"{section_name}.{name}"]["unit"] == "share"
                assert issubclass(info.annotation, ShareByRank) == is_share, f"{section_name}.{name}"
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        Params.model_validate({"mentors": {"share_admin": {"full": 1.5}}})


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", "", "-x", "_x", "a b", "x" * 81])
def test_a_scenario_name_is_one_safe_folder_name(name):
    with pytest.raises(ValidationError):
        Params(name=name)


def test_scenario_names_that_are_fine():
    for name in ("status_quo", "network-2", "dyad.v2", "A1"):
        assert Params(name=name).name == name
