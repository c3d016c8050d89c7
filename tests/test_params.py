import numpy as np
import pytest
from pydantic import ValidationError

from simulation.params import FUNCTIONS, MODELS, Params, describe, kernel_params


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
