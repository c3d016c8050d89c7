import json
import math

import numpy as np
import pytest
from numba import njit
from pydantic import BaseModel, ValidationError

from simulation.config.params import FUNCTIONS, MODELS, ByRank, Params, ShareByRank, describe
from simulation.model.kernel_params import kernel_params


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
    from simulation.model.kernel_params import DERIVED, KernelParams, _flatten
    flat = _flatten(p)
    values = {"science": 1, "skills": 2, "career": 3, "networking": 4, "psychosocial": 5}
    assert np.array_equal(flat["needs_early_assistant"], [values[f] for f in FUNCTIONS])
    assert np.array_equal(flat["mentors_capacity_hours"],
                          [p.mentors.capacity_hours.assistant, p.mentors.capacity_hours.associate,
                           p.mentors.capacity_hours.full])
    assert flat["grants_cycle_months"].dtype == np.int64
    assert np.array_equal(flat["grants_cycle_months"], p.grants.cycle_months)
    assert flat["population_n_faculty"] == p.population.n_faculty and flat["mentoring_peers"] is p.mentoring.peers
    assert "mentoring_model" not in flat  # a string: the kernels get model_code instead
    assert set(KernelParams._fields) == set(flat) | set(DERIVED)


@njit
def _read(kp):
    """What a kernel sees of the parameters."""
    return (kp.model_code, kp.n_mentor_slots, kp.n_peer_slots, kp.n_months, kp.peers_on,
            kp.needs_early_assistant, kp.mentors_capacity_hours, kp.network_max_ties, kp.exits_hazard_floor,
            kp.need_profiles, kp.need_reference_total, kp.need_reference_key, kp.contact_by_age,
            kp.quality_by_load, kp.fit_quantiles, kp.attrition_by_career_month, kp.retirement_by_career_month)


def test_kernel_params_hold_the_params_values_and_their_tables():
    p = Params.model_validate({
        "horizon_years": 7,
        "needs": {"early_assistant": {"science": 1, "skills": 2, "career": 3, "networking": 4, "psychosocial": 5}},
        "mentoring": {"model": "network", "peers": True, "tie_contact_floor": 0.3, "tie_decay_years": 2.0,
                      "fit_sigma": 0.4},
        "network": {"max_ties": 4},
        "peers": {"group_size": 5},
        "mentors": {"comfortable_load": 4.0, "overload_exponent": 0.5,
                    "capacity_hours": {"assistant": 3.0, "associate": 7.0, "full": 11.0}},
        "exits": {"hazard_initial": 0.2, "hazard_floor": 0.05, "hazard_decay_years": 4.0,
                  "retirement_max": 0.3, "retirement_midpoint_years": 30.0, "retirement_spread_years": 2.0},
    })
    (model_code, n_mentor_slots, n_peer_slots, n_months, peers_on, needs_early, capacity, max_ties, floor,
     profiles, ref_total, ref_key, contact, quality, fit, attrition, retirement) = _read(kernel_params(p))
    assert MODELS[model_code] == "network" and n_mentor_slots == 4 and n_peer_slots == 4 and peers_on
    assert n_months == 84 and max_ties == 4 and floor == 0.05
    assert np.array_equal(needs_early, [1, 2, 3, 4, 5]) and np.array_equal(capacity, [3, 7, 11])
    n = p.needs
    assert profiles.shape == (4, 5)
    for row, stage in zip(profiles, (n.early_assistant, n.late_assistant, n.associate, n.full)):
        assert np.array_equal(row, [getattr(stage, f) for f in FUNCTIONS])
    assert ref_total == 15.0 and ref_key == 3.0 + 5.0  # early assistant: all needs; career + psychosocial
    # contact left in a tie: 1 when new, fading toward the floor with a 2-year time constant, one entry a month
    assert contact.shape == (12 * 7 + 1,)
    age = np.arange(12 * 7 + 1)
    assert np.allclose(contact, 0.3 + 0.7 * np.exp(-age / 24.0)) and contact[0] == 1.0
    assert contact[24] == pytest.approx(0.3 + 0.7 / math.e)
    # quality by load: 1 up to the comfortable load (4), then (4/load)^0.5
    assert quality.shape == (257,)
    assert np.all(quality[:5] == 1.0)
    assert quality[16] == pytest.approx(0.5) and quality[8] == pytest.approx(math.sqrt(0.5))
    # pair fit: lognormal quantiles with mean 1 and the given sigma
    assert np.all(np.diff(fit) > 0)
    assert fit.mean() == pytest.approx(1.0, abs=2e-3)
    assert np.median(fit) == pytest.approx(math.exp(-0.5 * 0.4 ** 2), rel=1e-3)
    assert np.std(np.log(fit)) == pytest.approx(0.4, rel=0.01)
    # hazard tables by career month, long enough for the longest career the run can reach
    months = 12 * (int(p.population.career_years_max.full) + 7 + 2)
    assert attrition.shape == retirement.shape == (months,)
    assert attrition[0] == pytest.approx(0.2) and attrition[48] == pytest.approx(0.05 + 0.15 / math.e)
    assert np.all(np.diff(attrition) < 0) and attrition[-1] > 0.05
    assert retirement[360] == pytest.approx(1 - math.exp(-0.15 / 12))  # half the maximum at the midpoint
    assert np.all(np.diff(retirement) > 0)


@pytest.mark.parametrize("model, slots", [("dyad", 1), ("committee", 2), ("network", 3), ("peer", 0)])
def test_slot_counts_follow_the_model(model, slots):
    p = Params.model_validate({"mentoring": {"model": model}})
    assert p.n_mentor_slots == slots
    assert p.n_peer_slots == (p.peers.group_size - 1 if model == "peer" else 0)


def test_odd_generated_tables_are_up_to_date():
    from simulation.odd import main

    assert main(["--check"]) == 0, "run `python -m simulation.odd` to regenerate docs/ODD.md tables"


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
