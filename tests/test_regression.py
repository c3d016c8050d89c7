"""Seeded regression baseline: catches silent drift in what the model computes.

After an intended change to the model, update the baseline on purpose with
    pytest tests/test_regression.py --update-baseline
and commit tests/baseline/regression.json with a message that says why the numbers moved.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from simulation.analysis.outcomes import outcomes

from .conftest import small_result

BASELINE = Path(__file__).parent / "baseline" / "regression.json"
CASES = {
    "status_quo": ("status_quo", 101),
    "dyad": ("dyad", 101),
    "network_peers": ("network_peers", 101),
}
KEYS = ("retention_5y", "retention_10y", "pubs_per_faculty_year", "grant_10y", "promoted_10y",
        "share_months_hole", "mean_mentors", "coverage_career")


def _measure() -> dict:
    out = {}
    for label, (scenario, seed) in CASES.items():
        r = small_result(scenario, seed=seed)
        o = outcomes(r.people, r.params.n_months).set_index("group")
        out[label] = {
            "n_people": int(len(r.people)),
            "n_ties": int(len(r.ties)),
            "pubs_total": int(r.people["pubs"].sum()),
            **{f"{g}.{k}": float(o.loc[g, k]) for g in ("women", "men") for k in KEYS},
        }
    return out


def test_regression_baseline(update_baseline):
    measured = _measure()
    if update_baseline:
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n")
        pytest.skip("baseline rewritten")
    assert BASELINE.exists(), "no baseline yet: run pytest tests/test_regression.py --update-baseline"
    expected = json.loads(BASELINE.read_text())
    assert measured.keys() == expected.keys()
    for label in expected:
        for key, value in expected[label].items():
            got = measured[label][key]
            if isinstance(value, int):
                assert got == value, f"{label}.{key}: {got} != baseline {value}"
            else:
                assert np.isclose(got, value, rtol=1e-9, atol=1e-12, equal_nan=True), f"{label}.{key}: {got} != baseline {value}"
